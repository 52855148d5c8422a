#include "findholder.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

int holder_find(const char *given, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n;

	if (given) {
		snprintf(out, cap, "%s", given);
		return executable(out) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, cap, "%s/" HOLDER_NAME, self);
			if (executable(out))
				return 0;
		}
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		if (l && snprintf(out, cap, "%.*s/" HOLDER_NAME, (int)l, path) > 0 &&
		    executable(out))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}
