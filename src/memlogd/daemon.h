/* memlogd as a whole: the loop, the store, the sources, the readers and
 * the sockets that feed them, wired together. Everything it owns is one of
 * the modules below it; it adds the query socket, signals and the
 * housekeeping tick. */
#ifndef MEMLOGD_DAEMON_H
#define MEMLOGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "fdstore.h"
#include "kernlog.h"
#include "loop.h"
#include "options.h"
#include "reader.h"
#include "regsock.h"
#include "source.h"
#include "store.h"
#include "syslogd.h"

struct daemon {
	const struct memlogd_config *cfg;
	struct loop loop;
	struct store store;
	struct fdstore fdstore;  /* used with --fd-store */
	struct sources sources;
	struct readers readers;
	struct regsock reg;      /* registration socket */
	struct ev query_ev;      /* query listening socket */
	struct ev sig_ev;        /* signalfd */
	bool query_paused;       /* query socket out of epoll until a tick
				  * (out of fds, no spare) */
	int reserve_fd;          /* spare fd, freed to refuse when out of fds */
	uint64_t start_ms;
	uint64_t next_tick_ms;   /* next housekeeping: timeouts, notices */
	struct kernlog *kmsg;         /* --kmsg, or NULL */
	struct syslog_listener *syslog; /* --syslog, or NULL */
};

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd);

/* Sources a previous memlogd left in the fd store: read on before anything
 * new is registered. Takes every fd. */
void daemon_adopt_stored(struct daemon *d, struct stored_fd *fds, int n);

int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

#endif
