/* logread --sources: what memlogd captures, one row per source: its name,
 * stream, registrant (pid, uid), lines, bytes, drops, partial lines, the
 * first and last entry the ring still holds, open or ended, and the
 * container it captures when memlogd's container registry knows it. The counters
 * come from memlogd's stats; the times from one dump of the ring (binary
 * records, nothing kept per entry: a few numbers per source).
 *
 * Output: a table (the default), one JSON object per source per line
 * (-o json), or each source name once per line (-o cat: a contract, for
 * shell completion). */
#ifndef LOGREAD_SOURCES_H
#define LOGREAD_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

struct source_row {
	const char *name;     /* points into the stats reply */
	const char *stream;
	bool has_pid;
	long long pid, uid;
	uint64_t lines, bytes, dropped, partial, fds;
	uint64_t first_ns, last_ns; /* 0: no entry in the ring */
	const char *container;      /* the container it captures, or NULL */
};

/* Names the container of each source memlog-runc registered for one: a
 * stdout or stderr source registered by root whose name is a registered
 * container's name (stderr) or that name and ".out" (stdout), as
 * memlog-runc names them. names: the containers memlogd knows (stats
 * containers.list). Pure. */
void sources_attach_containers(struct source_row *rows, size_t n,
			       const char *const *names, size_t nnames);

/* Writes the rows in format f (OUT_LEGACY: the table; OUT_JSON; OUT_CAT)
 * into a malloc'd text; times in the local zone when local. Pure but for
 * the zone. Returns the text (*len bytes) or NULL (out of memory). */
char *sources_render(const struct source_row *rows, size_t n,
		     enum out_format f, bool local, size_t *len);

/* The time of the oldest entry the server at path holds, or 0 (none, or
 * it could not be asked). Reads the first entry of a dump only. */
uint64_t sources_oldest_time(const char *path);

/* Asks the server at path and prints to stdout. Returns an exit code
 * (session.h's LR_EXIT_*). */
int sources_run(const char *path, enum out_format f, bool local);

#endif
