/* The registration socket: LinuxKit's datagrams (a name and fds), memlog's
 * attributes (stream=, tee=, ack=), turned into sources. docs/protocol.md. */
#ifndef MEMLOGD_REGSOCK_H
#define MEMLOGD_REGSOCK_H

#include <stdint.h>

#include "ctrreg.h"
#include "loop.h"
#include "source.h"
#include "store.h"

struct reg_counters {
	uint64_t accepted;       /* fds that became sources */
	uint64_t no_fd;          /* datagrams without a file descriptor */
	uint64_t refused;        /* fds refused: limits, bad fds, no memory */
	uint64_t lost_fds;       /* datagrams whose fds the kernel dropped */
	uint64_t names_truncated;
	uint64_t bad_attrs;
};

struct regsock {
	struct ev ev;            /* the bound SOCK_DGRAM socket */
	struct sources *sources;
	struct store *store;
	struct reg_counters c;
	struct ctrreg *ctrs;     /* container registrations go here, or NULL */
	uint64_t *uid_since;     /* per slot: set to the next seq when a
				  * registration changes the slot's uid
				  * (reader.h), or NULL */
	/* A kernel log relay (relay=kernel, docs/protocol.md): takes fd (a
	 * pipe's or socket's read end) and returns NULL, or closes it and
	 * says why not. NULL: relays are refused. */
	const char *(*kernel_relay)(void *arg, int fd,
				    const struct ucred *cred);
	void *relay_arg;
};

/* Starts serving fd (SO_PASSCRED is turned on: the sender's pid and uid are
 * kept with its sources). Returns 0 or negative errno. */
int regsock_init(struct regsock *rg, struct loop *loop, int fd,
		 struct sources *sources, struct store *store);

#endif
