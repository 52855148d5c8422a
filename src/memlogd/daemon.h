/* memlogd as a whole: the loop, the store, the sources, the readers and
 * the sockets that feed them, wired together. Everything it owns is one of
 * the modules below it; it adds the query socket, signals and the
 * housekeeping tick. */
#ifndef MEMLOGD_DAEMON_H
#define MEMLOGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrreg.h"
#include "fdstore.h"
#include "handover.h"
#include "hold.h"
#include "kernlog.h"
#include "loop.h"
#include "options.h"
#include "reader.h"
#include "regsock.h"
#include "source.h"
#include "store.h"
#include "syslogd.h"
#include "uidsince.h"

/* Keys of the daemon's own fds in the keeper (sources have theirs,
 * source_key). */
enum daemon_key {
	KEY_RING = 1,
	KEY_STATE,
	KEY_BOUNCE_R,
	KEY_BOUNCE_W,
	KEY_REG,                 /* the registration socket */
	KEY_QUERY,               /* the query socket */
	KEY_UID_SINCE,           /* uidsince.h's memfd */
};

/* An fd an earlier memlogd kept, given back under its key. */
struct kept_fd {
	uint64_t key;
	int fd;
};

struct daemon {
	const struct memlogd_config *cfg;
	struct loop loop;
	struct store store;
	struct keeper keeper;    /* where fds outlive memlogd */
	bool keeping;            /* there is a keeper */
	struct hold *hold;       /* the fd holder, or NULL */
	struct fdstore fdstore;  /* --fd-store: the session with the manager */
	bool own_sockets;        /* memlogd bound its sockets, this one or an
				  * earlier one (kept too) */
	int log_fd, query_fd;
	bool release;            /* SIGINT: the holder lets go at the end */
	bool upgrade_asked;      /* SIGUSR2: upgrade at the end of this turn */
	char *const *argv;       /* as started: the upgrade runs it again */
	char exe[4096];          /* the binary's path, as it was at start */
	int bounce[2];           /* sources' bounce pipe */
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
	struct ctrreg ctrs;      /* the containers memlogd knows */
	struct procwatch *pw;    /* their tasks (with --kmsg or a relay), or
				  * NULL */
	struct uidsince since;   /* per source slot (reader.h), with --views */
	/* Views' sockets an earlier memlogd had (kept or handed over),
	 * until their containers take them back (view.h). */
	struct kept_fd *views_held;
	int nviews_held;
	struct kernlog *kmsg;         /* --kmsg or a relay's, or NULL */
	uint64_t kmsg_relays;         /* kernel log relays taken */
	struct syslog_listener *syslog; /* --syslog, or NULL */
};

/* kept[0..nkept): what an earlier memlogd kept (the ring, the state, the
 * sources: taken over; the daemon takes every fd). sockets: how log_fd
 * and query_fd came (DAEMON_SOCKETS_*). */
#define DAEMON_SOCKETS_OWN   1u /* memlogd bound them, now or before a
				 * restart: the keeper keeps them (a new
				 * holder is handed them again) */
#define DAEMON_SOCKETS_FRESH 2u /* bound just now: not kept yet */
int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd, unsigned sockets, struct hold *hold,
		struct kept_fd *kept, int nkept, const struct handover *ho);

/* Sources memlog 0.1 left in the fd store (by name): read on. */
int daemon_adopt_legacy(struct daemon *d, const struct fdstore_legacy *e);

/* Live upgrade (SIGUSR2): the binary at d->exe, possibly a newer one, is
 * checked (run with --upgrade-check: it must say it takes this release's
 * handover), then executed in place of this one with every fd and the
 * handover (--upgrade-from=FD). Returns only if the upgrade did not
 * happen (said in a notice); this memlogd goes on. */
void daemon_upgrade(struct daemon *d);

int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

#endif
