#include "runtime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool is_self(const struct stat *st, const struct stat *self)
{
	return self && st->st_dev == self->st_dev && st->st_ino == self->st_ino;
}

int runtime_find(const char *name, const char *path_env,
		 const struct stat *self, char *out, size_t cap)
{
	const char *dir;
	int best = -ENOENT;
	struct stat st;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (strlen(name) >= cap)
			return -ENAMETOOLONG;
		if (stat(name, &st) == 0 && is_self(&st, self))
			return -ELOOP;
		/* Anything else is left to execv() to report exactly. */
		strcpy(out, name);
		return 0;
	}
	if (!path_env || !*path_env)
		path_env = RUNTIME_DEFAULT_PATH;
	for (dir = path_env; dir; ) {
		const char *end = strchr(dir, ':');
		size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
		char cand[4096];
		int n;

		/* An empty entry is the current directory, as for execvp. */
		n = snprintf(cand, sizeof(cand), "%.*s%s%s", (int)dlen,
			     dlen ? dir : ".", "/", name);
		dir = end ? end + 1 : NULL;
		if (n < 0 || (size_t)n >= sizeof(cand))
			continue;
		if (stat(cand, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (is_self(&st, self)) {
			best = -ELOOP;
			continue;
		}
		if (access(cand, X_OK) < 0) {
			if (best == -ENOENT)
				best = -EACCES;
			continue;
		}
		if ((size_t)n >= cap)
			return -ENAMETOOLONG;
		memcpy(out, cand, (size_t)n + 1);
		return 0;
	}
	return best;
}
