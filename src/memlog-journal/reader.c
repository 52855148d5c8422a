#include "reader.h"
#include "jsonenc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

int jreader_open(struct jreader *r, const char *directory, uint64_t field_max)
{
	int k;

	*r = (struct jreader){ .field_max = field_max };
	r->fields = calloc(JREADER_FIELDS_MAX, sizeof(*r->fields));
	if (!r->fields)
		return -ENOMEM;
	k = directory ? sd_journal_open_directory(&r->j, directory, 0)
		      : sd_journal_open(&r->j, 0);
	if (k < 0) {
		jreader_close(r);
		return k;
	}
	/* A hint (the whole NAME=VALUE; names are at most 64 bytes):
	 * sd-journal may still return more, which is cut below. */
	IGNORE_RESULT(sd_journal_set_data_threshold(r->j, (size_t)field_max + 65));
	return 0;
}

void jreader_close(struct jreader *r)
{
	if (r->j)
		sd_journal_close(r->j);
	free(r->arena);
	free(r->fields);
	*r = (struct jreader){ 0 };
}

int jreader_seek_head(struct jreader *r)
{
	return sd_journal_seek_head(r->j);
}

int jreader_seek_realtime(struct jreader *r, uint64_t usec)
{
	return sd_journal_seek_realtime_usec(r->j, usec);
}

int jreader_seek_cursor(struct jreader *r, const char *cursor)
{
	return sd_journal_seek_cursor(r->j, cursor);
}

bool jreader_at_cursor(struct jreader *r, const char *cursor)
{
	return sd_journal_test_cursor(r->j, cursor) > 0;
}

static int copy_cursor(struct jreader *r, char out[JCURSOR_MAX + 1])
{
	char *c = NULL;
	int k = sd_journal_get_cursor(r->j, &c);

	if (k < 0)
		return k;
	if (strlen(c) > JCURSOR_MAX) {
		free(c);
		return -ENAMETOOLONG;
	}
	strcpy(out, c);
	free(c);
	return 0;
}

int jreader_last_cursor(struct jreader *r, char out[JCURSOR_MAX + 1])
{
	int k = sd_journal_seek_tail(r->j);

	out[0] = '\0';
	if (k < 0)
		return k;
	k = sd_journal_previous(r->j);
	if (k <= 0)
		return k < 0 ? k : sd_journal_seek_head(r->j);
	return copy_cursor(r, out);
}

/* Keeps len bytes in the arena; returns their offset, or -ENOMEM. */
static int64_t keep(struct jreader *r, const void *p, size_t len)
{
	if (len > r->arena_cap - r->arena_len) {
		size_t cap = r->arena_cap ? r->arena_cap : 16384;
		while (cap - r->arena_len < len)
			cap *= 2;
		char *a = realloc(r->arena, cap);
		if (!a)
			return -ENOMEM;
		r->arena = a;
		r->arena_cap = cap;
	}
	memcpy(r->arena + r->arena_len, p, len);
	r->arena_len += len;
	return (int64_t)(r->arena_len - len);
}

/* Reads the current entry's fields. The data sd-journal returns is valid
 * only until its next call, so each is copied; offsets become pointers
 * once the arena stopped moving. */
static int read_entry(struct jreader *r)
{
	const void *d;
	size_t len, n = 0;
	int k;

	r->arena_len = 0;
	r->dropped = 0;
	sd_journal_restart_data(r->j);
	while ((k = sd_journal_enumerate_available_data(r->j, &d, &len)) > 0) {
		const char *eq = memchr(d, '=', len);
		if (!eq)
			continue;
		size_t nl = (size_t)(eq - (const char *)d);
		size_t vl = len - nl - 1;
		bool cut = vl > r->field_max;
		if (cut) /* never in the middle of a character */
			vl = utf8_complete_prefix(eq + 1, (size_t)r->field_max);
		if (n == JREADER_FIELDS_MAX ||
		    r->arena_len + nl + vl > r->field_max + JREADER_ENTRY_MAX) {
			r->dropped++;
			continue;
		}
		int64_t no = keep(r, d, nl);
		int64_t vo = no < 0 ? no : keep(r, eq + 1, vl);
		if (vo < 0)
			return (int)vo;
		r->fields[n++] = (struct jfield){
			.name = (const char *)(uintptr_t)no, .name_len = nl,
			.value = (const char *)(uintptr_t)vo, .value_len = vl,
			.cut = cut,
		};
	}
	if (k < 0)
		return k;
	for (size_t i = 0; i < n; i++) {
		r->fields[i].name = r->arena + (uintptr_t)r->fields[i].name;
		r->fields[i].value = r->arena + (uintptr_t)r->fields[i].value;
	}
	r->entry.fields = r->fields;
	r->entry.nfields = n;
	return 0;
}

int jreader_next(struct jreader *r, const struct jentry **e)
{
	sd_id128_t boot;
	int k;

	for (;;) {
		k = sd_journal_next(r->j);
		if (k <= 0)
			return k;
		k = copy_cursor(r, r->cursor);
		if (k == 0)
			k = sd_journal_get_realtime_usec(r->j, &r->entry.realtime_us);
		if (k == 0)
			k = sd_journal_get_monotonic_usec(r->j, &r->entry.monotonic_us,
							  &boot);
		if (k == 0)
			k = read_entry(r);
		if (k == -EBADMSG || k == -EADDRNOTAVAIL)
			continue; /* a corrupt entry: skipped, as journalctl */
		if (k < 0)
			return k;
		sd_id128_to_string(boot, r->boot_id);
		r->entry.boot_id = r->boot_id;
		r->entry.cursor = r->cursor;
		*e = &r->entry;
		return 1;
	}
}

int jreader_fd(struct jreader *r, short *events)
{
	int fd = sd_journal_get_fd(r->j);
	int ev = fd < 0 ? fd : sd_journal_get_events(r->j);

	if (ev < 0)
		return ev;
	*events = (short)ev;
	return fd;
}

int jreader_timeout_ms(struct jreader *r)
{
	uint64_t t;
	struct timespec ts;

	if (sd_journal_get_timeout(r->j, &t) < 0 || t == UINT64_MAX)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (t <= now)
		return 0;
	return (int)MIN((t - now + 999) / 1000, (uint64_t)60000);
}

int jreader_process(struct jreader *r)
{
	int k = sd_journal_process(r->j);

	return k < 0 ? k : 0;
}
