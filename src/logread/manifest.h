/* What a bundle (logread --bundle, bundle.h) counts while it reads the
 * dump, and manifest.json made of it: memlogd's version and instance,
 * the host, the time, the ring (from the stats asked right after the
 * dump), the request, the redaction patterns, and per source its file,
 * lines, bytes, first and last seq and time, drops and partial entries,
 * and every loss marker with its count. Pure: no I/O (the caller gives
 * the host name, the time and the stats). */
#ifndef LOGREAD_MANIFEST_H
#define LOGREAD_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "binstream.h"
#include "name.h"

#define MANIFEST_VERSION 1
#define MANIFEST_SOURCES_MAX 65536   /* distinct (name, stream) pairs */
#define MANIFEST_LOSSES_MAX 10000    /* loss markers listed one by one;
				      * the rest are counted */
#define MANIFEST_TEXT_MAX 256        /* bytes of a marker's text kept */
#define MANIFEST_RESTARTS_MAX 64     /* restarts listed; the rest counted */

struct manifest_source {
	char *name;              /* malloc'd, name_len bytes and a NUL */
	size_t name_len;
	uint8_t stream;          /* enum stream */
	unsigned file;           /* index into the bundle's file names */
	uint64_t entries;        /* entries (pieces of split lines count) */
	uint64_t lines;          /* entries that end a line */
	uint64_t partial;        /* entries that are a piece of a line */
	uint64_t bytes;          /* message bytes, as memlogd holds them */
	uint64_t notices;        /* memlogd's own loss notices */
	uint64_t first_seq, last_seq;
	uint64_t first_ns, last_ns;
	uint64_t redacted;       /* replacements made in its messages */
};

struct manifest_loss {
	bool marker;             /* a reader's marker (lagged...); else
				  * memlogd's notice entry */
	char reason[32];         /* marker: its reason */
	int64_t missed;          /* marker: entries missed, -1 unknown */
	uint64_t first, last;    /* marker: seqs missed, 0 unknown */
	uint64_t seq;            /* notice: its seq */
	uint64_t time_ns;
	char text[MANIFEST_TEXT_MAX + 1];
	size_t text_len;
	uint32_t src;            /* notice: index into sources */
};

/* A restart of memlogd inside the dump: memlogd's own entry saying that
 * it took over (or could not take over) the ring of the one before. A
 * restart that kept the ring keeps the instance (and every cursor); one
 * that lost it starts a new instance, so a dump never spans it. */
struct manifest_restart {
	uint64_t seq, time_ns;
	char text[MANIFEST_TEXT_MAX + 1];
	size_t text_len;
};

struct manifest {
	bool hello;                    /* the dump's HELLO came */
	uint64_t instance;             /* ... with this instance */
	struct manifest_source *srcs;  /* in order of first entry */
	size_t nsrcs, cap;
	uint32_t *index;               /* hash of srcs (index + 1; 0: empty) */
	size_t index_cap;              /* a power of two */
	struct manifest_loss *losses;  /* the first MANIFEST_LOSSES_MAX */
	size_t nlosses, losses_cap;
	uint64_t markers, notices;     /* loss markers of either kind */
	uint64_t missed;               /* what the reader's markers count */
	bool missed_unknown;           /* a marker that does not know */
	uint64_t redacted;             /* replacements in all */
	struct manifest_restart restarts[MANIFEST_RESTARTS_MAX];
	size_t nrestarts;              /* listed */
	uint64_t restarts_seen;        /* in all */
	bool foreign_cursor;           /* the dump began after a cursor of
					* another instance (another boot, or
					* a memlogd that lost its ring) */
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);

/* The source of an entry (name and stream), added when new. Returns its
 * index, -ENOSPC past MANIFEST_SOURCES_MAX or -ENOMEM. */
int manifest_source(struct manifest *m, const char *name, size_t len,
		    uint8_t stream);

/* Is this message of memlogd's own (source "memlogd", stream none) the
 * note of a restart? */
bool manifest_is_restart(const char *msg, size_t len);

/* Counts an ENTRY item of source index si: text (text_len bytes) is its
 * message as it enters the bundle, after redacted replacements (what a
 * loss notice's listing shows). Returns 0 or -ENOMEM. */
int manifest_entry(struct manifest *m, unsigned si,
		   const struct binstream_item *it, const char *text,
		   size_t text_len, unsigned redacted);

/* Counts a MARKER item. Returns 0 or -ENOMEM. */
int manifest_marker(struct manifest *m, const struct binstream_item *it);

/* What the bundle holds, to describe it. */
struct manifest_info {
	const char *host;               /* host name */
	uint64_t now_ns;                /* time of the bundle */
	const char *request;            /* the dump request sent */
	const char *const *redact;      /* patterns applied */
	unsigned nredact;
	const char *const *files;       /* archive names, by file index */
	size_t nfiles;
	const char *kernel_file;        /* kernel entries with attributes,
					 * or NULL when there were none */
	json_t *stats;                  /* memlogd's stats, or NULL */
	const char *stats_error;        /* why there are none */
};

/* manifest.json's object (a new reference), or NULL when out of memory.
 * Names and texts that are not UTF-8 have their other bytes as \xNN. */
json_t *manifest_json(const struct manifest *m, const struct manifest_info *i);

#endif
