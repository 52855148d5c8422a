/* The inode of the other end of a connected unix socket, from the
 * kernel's sock_diag netlink interface (there is no getsockopt for it).
 * memlogd uses it to recognise a tee whose destination is connected back
 * to a source it reads (a copy that would go round for ever). */
#ifndef MEMLOG_SOCKPEER_H
#define MEMLOG_SOCKPEER_H

#include <stdint.h>

/* The peer's inode of the unix socket whose inode is ino. Returns 0, or
 * negative errno (-ENOENT: not connected, or not a unix socket; whatever
 * the netlink socket says, e.g. -EPERM in a restricted sandbox). */
int unix_peer_inode(uint32_t ino, uint32_t *peer);

#endif
