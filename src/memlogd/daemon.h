/* memlogd's state and event loop: one epoll set; every event source is a
 * struct ev embedded in its owner, found again with container_of. */
#ifndef MEMLOGD_DAEMON_H
#define MEMLOGD_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "options.h"
#include "ring.h"
#include "srctab.h"

struct ev;
struct kmsg_reader;
struct syslog_listener;
typedef void (*ev_fn)(struct ev *ev, uint32_t events);

struct ev {
	int fd;
	ev_fn cb;
};

struct reg_counters {
	uint64_t accepted;       /* fds that became sources */
	uint64_t no_fd;          /* datagrams without a file descriptor */
	uint64_t refused;        /* fds refused: limits, bad fds, no memory */
	uint64_t lost_fds;       /* datagrams whose fds the kernel dropped */
	uint64_t names_truncated;
	uint64_t bad_attrs;
};

struct daemon {
	const struct memlogd_config *cfg;
	int epfd;
	struct ring ring;
	struct srctab srcs;
	uint64_t instance;       /* random per start; part of every cursor */
	struct ev reg_ev;        /* registration socket */
	struct ev query_ev;      /* query listening socket */
	struct ev sig_ev;        /* signalfd */
	struct list sources;     /* every open source */
	struct list busy;        /* sources epoll cannot watch (files) */
	struct list active;      /* readers with work to do now */
	struct list waiting;     /* followers that have read everything */
	struct list idle;        /* readers waiting on their socket */
	uint32_t nsources;
	uint32_t ntees;          /* sources with a tee (a second fd each) */
	uint64_t tees_broken;    /* tees whose destination failed */
	size_t stats_inflight;   /* bytes of stats replies not yet sent */
	uint64_t store_next;     /* next fd store id (fdstore.h) */
	uint64_t store_skipped;  /* sources not stored (name too long...) */
	bool query_paused;       /* query socket out of epoll until a tick
				  * (out of fds, no spare) */
	uint32_t nreaders;
	uint32_t max_sources;
	int reserve_fd;          /* spare fd, freed to refuse when out of fds */
	char *readbuf;           /* one buffer for every source's read() */
	size_t readbuf_size;
	char *scratch;           /* encode buffer for one maximal entry */
	size_t scratch_size;
	uint64_t now_ms;         /* monotonic clock, per loop iteration */
	uint64_t start_ms;
	uint64_t next_tick_ms;   /* next housekeeping: timeouts, notices */
	uint64_t seen_seq;       /* next_seq when waiting readers were woken */
	size_t turn_bytes;       /* bytes read from sources this loop turn */
	uint64_t waited_ns;      /* how long the last epoll_wait blocked */
	struct reader *console;
	struct kmsg_reader *kmsg;       /* --kmsg, or NULL */
	struct syslog_listener *syslog; /* --syslog, or NULL */
	bool stopping;
	struct reg_counters reg;
	uint64_t readers_refused;
	uint64_t requests_bad;
};

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd);
int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

int daemon_watch(struct daemon *d, struct ev *ev, uint32_t events);
int daemon_rewatch(struct daemon *d, struct ev *ev, uint32_t events);
void daemon_unwatch(struct daemon *d, struct ev *ev);

/* Stores one entry. len must not exceed cfg->max_line_len (the ring always
 * has room for that). */
void daemon_store(struct daemon *d, uint32_t slot, uint64_t time_ns,
		  uint32_t flags, const char *msg, size_t len);

/* The same with priority and facility (or RING_NO_PRIORITY) and attributes
 * ("KEY=VALUE\0KEY=VALUE", at most RECORD_ATTRS_MAX bytes, or none). */
void daemon_store_full(struct daemon *d, uint32_t slot, uint64_t time_ns,
		       uint32_t flags, int priority, int facility,
		       const char *msg, size_t len, const char *attrs,
		       size_t attrs_len);

/* A whole message (kernel record, syslog datagram) that may be longer than
 * max-line-len: stored in parts as a long line would be, never cut inside
 * a UTF-8 character, the attributes with the first part. */
void daemon_store_message(struct daemon *d, uint32_t slot, uint64_t time_ns,
			  int priority, int facility, const char *msg,
			  size_t len, const char *attrs, size_t attrs_len);

/* The daemon's own entry (source "memlogd"); marker flags a loss notice.
 * Rate-limited so that a misbehaving client cannot flood the ring with
 * notices about itself. */
void daemon_notice(struct daemon *d, bool marker, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
