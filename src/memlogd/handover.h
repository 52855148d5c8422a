/* The live upgrade's handover: what a memlogd passes to the binary it
 * re-executes (memlogd --upgrade, SIGUSR2), besides the fds themselves,
 * which cross the exec: which fd is what (the ring, the state, the
 * sockets, each source and its tee, the fd holder's session) and every
 * connected reader with its place, its filters and the bytes it had not
 * sent yet, so that no reader, LinuxKit's legacy followers included,
 * loses its connection or sees a gap or a duplicate.
 *
 * One blob in a memfd, versioned: a new memlogd takes an older version it
 * knows (and refuses, before the old one has gone, one it does not:
 * --upgrade-check). Pure encoder and decoder, host byte order (the same
 * machine writes and reads it). */
#ifndef MEMLOGD_HANDOVER_H
#define MEMLOGD_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2: the time, stream and message filters of readers (since, until,
 * stream, grep), which 1 did not carry. 3: containers' views (their
 * listening sockets; their readers, and the main socket's readers limited
 * to their uid, and the seqs from which each uid sees its sources), which
 * 2 closed at the exec or forgot. */
#define HANDOVER_VERSION 3
/* Versions a memlogd of this release can take over from. */
#define HANDOVER_OLDEST 1

enum handover_fd {
	HO_RING, HO_STATE, HO_BOUNCE_R, HO_BOUNCE_W, HO_REG, HO_QUERY,
	HO_HOLDER, HO_SYSLOG,
	HO_NFDS
};

struct handover_source {
	uint32_t rec;        /* its record in the state */
	int32_t fd, tee_fd;  /* tee_fd -1: none */
};

struct handover_reader {
	int32_t fd;
	uint8_t fmt, state, follow, closing, is_console, pollable, has_prio;
	int32_t prio_min, prio_max;
	uint32_t fac_mask;
	uint64_t pos_seq, pos_off, end_seq;
	uint64_t sent, missed;
	uint32_t nglobs;
	const char *globs[16];  /* encode: NUL-terminated strings; decode:
				 * into the blob, glob_len bytes each */
	uint32_t glob_len[16];  /* decode only */
	/* Version 2 on (zero from a version 1 blob: no such filter). */
	uint8_t has_since, has_until, grep_icase;
	uint64_t since_ns, until_ns;
	uint32_t stream_mask;
	uint32_t grep_len;
	const char *grep;       /* NULL: none; encode: grep_len bytes; decode:
				 * into the blob */
	/* Version 3 on: a reader of a container's view (view_id not NULL:
	 * encode: NUL-terminated; decode: into the blob, *_len bytes), or
	 * of the main socket limited to uid's sources (uid_only). */
	const char *view_id, *view_name;
	uint32_t view_id_len, view_name_len;
	uint8_t uid_only;
	uint32_t uid;
	uint32_t req_len, out_len;
	const char *req, *out;  /* into the blob */
};

struct handover {
	uint32_t version;
	int32_t fds[HO_NFDS];   /* -1: none */
	bool own_sockets;       /* the old memlogd bound them (kept too) */
	uint32_t nsources, nreaders;
	struct handover_source *sources;
	struct handover_reader *readers;
	uint32_t nviews;        /* version 3 on */
	int32_t *views;         /* containers' views' listening sockets */
	int32_t uid_since_fd;   /* version 3 on: uidsince.h's memfd; -1 */
};

/* Bytes handover_encode needs. */
size_t handover_size(const struct handover *h);

/* Writes h into buf (at least handover_size bytes). Returns the length. */
size_t handover_encode(const struct handover *h, char *buf);

/* Reads a blob: fills h, whose sources[], readers[] and views[] point into arrays
 * the function allocates (free with handover_free) and whose strings point
 * into buf. Returns 0, -EPROTONOSUPPORT (a version outside
 * [HANDOVER_OLDEST, HANDOVER_VERSION]) or -EBADMSG (anything malformed). */
int handover_decode(const char *buf, size_t len, struct handover *h);

void handover_free(struct handover *h);

#endif
