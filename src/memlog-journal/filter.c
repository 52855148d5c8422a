#include "filter.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

/* The unit types systemd knows: a name ending in one of these is taken as
 * it is. */
static const char *const unit_types[] = {
	".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap", ".timer", ".path", ".slice", ".scope",
};

#define COREDUMP_MESSAGE_ID "fc2e22bc6ee647b6b90729ab34a250b1"

static bool has_unit_type(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++) {
		size_t tl = strlen(unit_types[i]);
		if (len > tl && memcmp(name + len - tl, unit_types[i], tl) == 0)
			return true;
	}
	return false;
}

int jfilter_add_unit(struct jfilter *f, const char *name)
{
	size_t len = strlen(name);
	bool glob = strpbrk(name, "*?[") != NULL;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '/')
			return -EINVAL;
	if (f->nunits == JFILTER_UNITS_MAX)
		return -E2BIG;
	bool suffix = !glob && !has_unit_type(name, len);
	if (len + (suffix ? strlen(".service") : 0) > JFILTER_UNIT_MAX)
		return -ENAMETOOLONG;
	char *u = f->units[f->nunits];
	memcpy(u, name, len + 1);
	if (suffix)
		memcpy(u + len, ".service", sizeof(".service"));
	f->globs[f->nunits] = glob;
	f->nunits++;
	return 0;
}

/* Does field name of e hold unit u (a name or a pattern)? Field values are
 * any bytes: one with a NUL or too long for a unit name never matches. */
static bool field_unit(const struct jentry *e, const char *name, const char *u,
		       bool glob)
{
	const struct jfield *fl = jentry_get(e, name);
	char v[JFILTER_UNIT_MAX + 1];

	if (!fl || fl->value_len > JFILTER_UNIT_MAX ||
	    memchr(fl->value, '\0', fl->value_len))
		return false;
	if (!glob)
		return jfield_is(fl, u);
	memcpy(v, fl->value, fl->value_len);
	v[fl->value_len] = '\0';
	return fnmatch(u, v, 0) == 0;
}

static bool unit_match(const struct jentry *e, const char *u, bool glob)
{
	bool uid0 = jfield_is(jentry_get(e, "_UID"), "0");

	return field_unit(e, "_SYSTEMD_UNIT", u, glob) ||
	       (jfield_is(jentry_get(e, "_PID"), "1") &&
		field_unit(e, "UNIT", u, glob)) ||
	       (uid0 && field_unit(e, "OBJECT_SYSTEMD_UNIT", u, glob)) ||
	       (uid0 && jfield_is(jentry_get(e, "MESSAGE_ID"), COREDUMP_MESSAGE_ID) &&
		field_unit(e, "COREDUMP_UNIT", u, glob));
}

bool jfilter_match(const struct jfilter *f, const struct jentry *e)
{
	if (f->has_prio) {
		/* One digit, as journalctl's PRIORITY=N matches want it. */
		const struct jfield *pf = jentry_get(e, "PRIORITY");
		int64_t p = pf && pf->value_len == 1 ? jfield_number(pf, 7) : -1;
		if (p < f->prio_min || p > f->prio_max)
			return false;
	}
	if (!f->nunits)
		return true;
	for (unsigned i = 0; i < f->nunits; i++)
		if (unit_match(e, f->units[i], f->globs[i]))
			return true;
	return false;
}
