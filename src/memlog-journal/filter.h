/* Which entries memlog-journal writes: --unit and --priority, with
 * journalctl's meaning (journalctl -u, -p), decided on each entry's fields
 * rather than by journal matches, so that the agent's position moves over
 * the entries it leaves out as well. Pure. */
#ifndef MEMLOG_JOURNAL_FILTER_H
#define MEMLOG_JOURNAL_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"

#define JFILTER_UNITS_MAX 32
#define JFILTER_UNIT_MAX 255  /* systemd's UNIT_NAME_MAX */

struct jfilter {
	unsigned nunits;      /* 0: every unit */
	char units[JFILTER_UNITS_MAX][JFILTER_UNIT_MAX + 1];
	bool globs[JFILTER_UNITS_MAX]; /* units[i] is a shell pattern */
	bool has_prio;
	int prio_min, prio_max; /* inclusive, 0-7 */
};

/* Adds a unit as journalctl -u takes it: a name without a unit type gets
 * ".service"; a shell pattern (*, ?, [) is kept as it is. Returns 0,
 * -E2BIG (JFILTER_UNITS_MAX already), -ENAMETOOLONG, -EINVAL (empty, or a
 * byte a unit name cannot hold: '/', control characters). */
int jfilter_add_unit(struct jfilter *f, const char *name);

/* Does the entry pass? A unit matches (as journalctl -u): the entry's
 * _SYSTEMD_UNIT; or PID 1's messages about it (_PID=1, UNIT=); or root's
 * (_UID=0) OBJECT_SYSTEMD_UNIT=, or its core dumps (COREDUMP_UNIT= with
 * the core dump MESSAGE_ID and _UID=0). A priority filter lets through
 * entries whose PRIORITY is in the range; entries without one do not
 * match it (as journalctl -p). */
bool jfilter_match(const struct jfilter *f, const struct jentry *e);

#endif
