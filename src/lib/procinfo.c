#include "procinfo.h"

#include <errno.h>
#include <string.h>

int proc_stat_parse(const char *text, size_t len, struct proc_stat *st)
{
	const char *end = text + len;
	const char *open = memchr(text, '(', len), *close = NULL;

	if (!open)
		return -EINVAL;
	/* The comm may hold ')' itself: the last one closes it. */
	for (const char *p = open; p < end; p++)
		if (*p == ')')
			close = p;
	if (!close || close - open - 1 > 64)
		return -EINVAL;
	/* After ") ": state is field 3, starttime field 22. */
	const char *p = close + 1;
	int field = 2;
	uint64_t v = 0;
	while (p < end && field < 22) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		field++;
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == s)
			return -EINVAL;
		if (field == 22) {
			v = 0;
			for (const char *q = s; q < p; q++) {
				if (*q < '0' || *q > '9' || v > UINT64_MAX / 10 - 10)
					return -EINVAL;
				v = v * 10 + (uint64_t)(*q - '0');
			}
		}
	}
	if (field != 22)
		return -EINVAL;
	st->comm = open + 1;
	st->comm_len = (size_t)(close - open - 1);
	st->start_ticks = v;
	return 0;
}

int proc_cgroup_pick(const char *text, size_t len, const char **path,
		     size_t *path_len)
{
	const char *end = text + len, *unified = NULL, *memory = NULL;
	size_t ulen = 0, mlen = 0;

	for (const char *l = text; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;
		const char *c1 = memchr(l, ':', (size_t)(le - l));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2 && c2 + 1 < le && c2[1] == '/') {
			const char *ctl = c1 + 1;
			size_t cl = (size_t)(c2 - ctl);
			if (c1 - l == 1 && l[0] == '0' && cl == 0 && !unified) {
				unified = c2 + 1;
				ulen = (size_t)(le - unified);
			}
			/* "memory", alone or in a list such as "cpu,memory" */
			for (const char *w = ctl; w < c2;) {
				const char *we = memchr(w, ',', (size_t)(c2 - w));
				if (!we)
					we = c2;
				if (we - w == 6 && !memcmp(w, "memory", 6) && !memory) {
					memory = c2 + 1;
					mlen = (size_t)(le - memory);
				}
				w = we + 1;
			}
		}
		l = nl ? nl + 1 : end;
	}
	if (memory) {
		*path = memory;
		*path_len = mlen;
		return 0;
	}
	if (unified) {
		*path = unified;
		*path_len = ulen;
		return 0;
	}
	return -ENOENT;
}

bool proc_started_by(uint64_t start_ticks, long hz, uint64_t usec)
{
	if (hz <= 0)
		return true;
	/* The start time has a tick's resolution: round the record up. */
	uint64_t rec_ticks = usec / (1000000u / (uint64_t)hz) + 1;
	return start_ticks <= rec_ticks;
}

bool cgroup_within(const char *path, size_t len, const char *base,
		   size_t base_len)
{
	while (base_len > 1 && base[base_len - 1] == '/')
		base_len--;
	if (base_len == 0 || len < base_len || memcmp(path, base, base_len))
		return false;
	if (base_len == 1 && base[0] == '/')
		return true;
	return len == base_len || path[base_len] == '/';
}
