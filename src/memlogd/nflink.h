/* Which container a netfilter LOG record's interface leads to. The record
 * names interfaces only (docs/kernel.md): two containers both have an
 * eth0, so only the host's side can be attributed: a veth whose peer is in
 * a container's network namespace (the link's netnsid, which rtnetlink
 * gives as IFLA_LINK_NETNSID, equals the container's: RTM_GETNSID of its
 * /proc/PID/ns/net), or a bridge port (PHYSIN=, PHYSOUT=), which is such
 * a veth. Looked at in the order PHYSIN, IN, PHYSOUT, OUT: the sender's
 * side first. */
#ifndef MEMLOGD_NFLINK_H
#define MEMLOGD_NFLINK_H

#include "ctrreg.h"
#include "kevent.h"

/* The registered container one of ev's interfaces leads to, or NULL. */
struct ctr *nflink_container(struct ctrreg *r, const struct kevent *ev);

#endif
