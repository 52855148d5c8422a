/* One journal entry as the agent formats and filters it: its fields (the
 * name and value of each "NAME=VALUE" data object, in the order the journal
 * gives them, a name appearing more than once when the entry has it more
 * than once) and what the journal keeps beside them. Values are any bytes.
 * The formatters and the filter take entries built from anything (the
 * journal, a unit test, a fuzzer, the agent's own marker lines): pure. */
#ifndef MEMLOG_JOURNAL_ENTRY_H
#define MEMLOG_JOURNAL_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jfield {
	const char *name;   /* not NUL-terminated */
	size_t name_len;
	const char *value;  /* any bytes, not NUL-terminated */
	size_t value_len;
	bool cut;           /* the value was longer and cut to value_len */
};

struct jentry {
	const struct jfield *fields;
	size_t nfields;
	uint64_t realtime_us;   /* __REALTIME_TIMESTAMP */
	uint64_t monotonic_us;  /* __MONOTONIC_TIMESTAMP */
	const char *boot_id;    /* 32 hex digits, NUL-terminated; NULL: none */
	const char *cursor;     /* NUL-terminated; NULL: not in the journal
				 * (the agent's own marker lines) */
};

/* The first field named name (NUL-terminated), or NULL. */
const struct jfield *jentry_get(const struct jentry *e, const char *name);

/* Does field f's value equal the NUL-terminated s? */
bool jfield_is(const struct jfield *f, const char *s);

/* The decimal number in field f's value (digits only, at most max), or -1. */
int64_t jfield_number(const struct jfield *f, int64_t max);

#endif
