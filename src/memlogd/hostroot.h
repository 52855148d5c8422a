/* Who may tell memlogd things it trusts (a container's registration, a
 * relay of the kernel log): root in memlogd's own user and pid
 * namespaces, as SCM_CREDENTIALS and /proc say. A root inside a container
 * that could reach the registration socket is not. */
#ifndef MEMLOGD_HOSTROOT_H
#define MEMLOGD_HOSTROOT_H

#include <stdint.h>
#include <sys/socket.h>

/* The inode of /proc/PID/ns/NS (pid <= 0: memlogd's own), or 0. */
uint64_t ns_inode(int32_t pid, const char *ns);

/* NULL when cred (NULL: none came) is host root; else why not, in a few
 * words; not_root is the words for a uid other than 0. */
const char *host_root_why(const struct ucred *cred, const char *not_root);

#endif
