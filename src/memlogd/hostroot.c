#include "hostroot.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

uint64_t ns_inode(int32_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%" PRId32 "/ns/%s", pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

const char *host_root_why(const struct ucred *cred, const char *not_root)
{
	if (!cred)
		return "no credentials";
	if (cred->uid != 0)
		return not_root;
	uint64_t u = ns_inode(cred->pid, "user"), p = ns_inode(cred->pid, "pid");
	if (!u || !p)
		return "the sender's namespaces cannot be checked";
	if (u != ns_inode(0, "user") || p != ns_inode(0, "pid"))
		return "the sender is not in the host's namespaces";
	return NULL;
}
