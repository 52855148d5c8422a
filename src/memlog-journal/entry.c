#include "entry.h"

#include <string.h>

const struct jfield *jentry_get(const struct jentry *e, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < e->nfields; i++)
		if (e->fields[i].name_len == n &&
		    memcmp(e->fields[i].name, name, n) == 0)
			return &e->fields[i];
	return NULL;
}

bool jfield_is(const struct jfield *f, const char *s)
{
	size_t n = strlen(s);

	return f && f->value_len == n && memcmp(f->value, s, n) == 0;
}

int64_t jfield_number(const struct jfield *f, int64_t max)
{
	int64_t v = 0;

	if (!f || f->value_len == 0 || f->value_len > 19)
		return -1;
	for (size_t i = 0; i < f->value_len; i++) {
		char c = f->value[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v <= max ? v : -1;
}
