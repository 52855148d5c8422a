/* Names of the fds memlogd keeps in the service manager's file descriptor
 * store (systemd's FDSTORE=1, docs/memlogd.md "Restarts"), so that a
 * restarted memlogd takes its sources back and their writers never see
 * a broken pipe. A name says which source an fd is:
 *
 *     memlog.k.KEY              any fd memlogd keeps, by its key (the
 *                               keys of source.h and daemon.c)
 *
 * and, from memlog 0.1 (still taken back after an upgrade from it):
 *
 *     memlog.ID.s.STREAM.NAME   the source (STREAM: 1 stdout, 2 stderr)
 *     memlog.ID.d               its tee destination, if it has one
 *
 * ID is decimal; NAME is the source name with every byte outside
 * printable ASCII, and '%' and ':' (the separator of LISTEN_FDNAMES),
 * written %XX. A name is at most 255 bytes (systemd's limit): a source
 * whose name does not fit is not stored.
 *
 * Pure functions, no I/O. */
#ifndef MEMLOG_FDNAME_H
#define MEMLOG_FDNAME_H

#include <stddef.h>
#include <stdint.h>

#define FDNAME_MAX 255

enum fdname_kind {
	FDNAME_SOURCE = 's',
	FDNAME_DEST = 'd',
	FDNAME_KEY = 'k',
};

struct fdname {
	uint64_t id;         /* FDNAME_KEY: the key */
	enum fdname_kind kind;
	int stream;          /* FDNAME_SOURCE: enum stream */
	char name[FDNAME_MAX + 1]; /* FDNAME_SOURCE: decoded, not terminated */
	size_t name_len;
};

/* Writes the name (NUL-terminated) into out[FDNAME_MAX + 1]. Returns its
 * length, or -ENAMETOOLONG. name/len/stream only for FDNAME_SOURCE; for
 * FDNAME_KEY, id is the key. */
int fdname_encode(char *out, uint64_t id, enum fdname_kind kind, int stream,
		  const char *name, size_t len);

/* Parses s (len bytes, not necessarily terminated). Returns 0, or -EINVAL
 * for anything that is not exactly such a name. */
int fdname_decode(const char *s, size_t len, struct fdname *out);

#endif
