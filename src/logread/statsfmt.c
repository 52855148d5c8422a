#include "statsfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t get(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t l = (size_t)(dot - path);
		if (l >= sizeof(key))
			return 0;
		memcpy(key, path, l);
		key[l] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	json_int_t v = json_integer_value(json_object_get(o, path));
	return v > 0 ? (uint64_t)v : 0;
}

/* 1.5 MiB, 812 KiB, 100 B */
static void human_bytes(char *out, size_t cap, uint64_t b)
{
	if (b >= (1u << 20))
		snprintf(out, cap, "%.1f MiB", (double)b / (1u << 20));
	else if (b >= 1024)
		snprintf(out, cap, "%.1f KiB", (double)b / 1024);
	else
		snprintf(out, cap, "%llu B", (unsigned long long)b);
}

/* 3d 4h, 2h 5m, 4m 10s, 12s */
static void human_age(char *out, size_t cap, uint64_t s)
{
	if (s >= 86400)
		snprintf(out, cap, "%llud %lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, cap, "%lluh %llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, cap, "%llum %llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(out, cap, "%llus", (unsigned long long)s);
}

char *statsfmt_summary(json_t *st, uint64_t oldest_ns, uint64_t now_ns,
		       size_t *len)
{
	char *buf = NULL, a[32], b[32];
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	json_t *srcs = json_object_get(st, "sources");
	uint64_t dropped = 0, partial = 0;

	if (!m)
		return NULL;
	for (size_t i = 0; i < json_array_size(srcs); i++) {
		dropped += get(json_array_get(srcs, i), "dropped");
		partial += get(json_array_get(srcs, i), "partial");
	}
	human_age(a, sizeof(a), get(st, "uptime_ms") / 1000);
	fprintf(m, "memlogd %s, pid %llu, up %s, instance %s\n",
		json_string_value(json_object_get(st, "version")) ?: "?",
		(unsigned long long)get(st, "pid"), a,
		json_string_value(json_object_get(st, "instance")) ?: "?");
	uint64_t size = get(st, "ring.size"), used = get(st, "ring.used");
	human_bytes(a, sizeof(a), used);
	human_bytes(b, sizeof(b), size);
	fprintf(m, "ring:          %s of %s used (%llu %%), %llu entries",
		a, b, (unsigned long long)(size ? used * 100 / size : 0),
		(unsigned long long)get(st, "ring.entries"));
	if (get(st, "ring.max_entries"))
		fprintf(m, " (at most %llu)",
			(unsigned long long)get(st, "ring.max_entries"));
	if (oldest_ns && now_ns >= oldest_ns) {
		human_age(a, sizeof(a), (now_ns - oldest_ns) / 1000000000u);
		fprintf(m, ", oldest %s old", a);
	}
	fprintf(m, "\n");
	fprintf(m, "readers:       %llu connected (at most %llu), %llu refused, "
		"%llu bad requests\n",
		(unsigned long long)get(st, "readers.connected"),
		(unsigned long long)get(st, "readers.max"),
		(unsigned long long)get(st, "readers.refused"),
		(unsigned long long)get(st, "readers.bad_requests"));
	fprintf(m, "registrations: %llu sources open (at most %llu), %llu "
		"accepted, %llu refused, %llu tees open\n",
		(unsigned long long)get(st, "registrations.sources_open"),
		(unsigned long long)get(st, "registrations.max_sources"),
		(unsigned long long)get(st, "registrations.accepted"),
		(unsigned long long)get(st, "registrations.refused"),
		(unsigned long long)get(st, "registrations.tees_open"));
	fprintf(m, "losses:        %llu lines dropped by the rate limit, %llu "
		"fds lost, %llu not kept, %llu tees broken; %llu partial "
		"lines\n", (unsigned long long)dropped,
		(unsigned long long)get(st, "registrations.fds_lost"),
		(unsigned long long)get(st, "registrations.not_kept"),
		(unsigned long long)get(st, "registrations.tees_broken"),
		(unsigned long long)partial);
	json_t *h = json_object_get(st, "fd_holder");
	if (h)
		fprintf(m, "fd holder:     %s, pid %llu, restarted %llu times\n",
			json_is_true(json_object_get(h, "connected"))
			? "connected" : "not connected",
			(unsigned long long)get(h, "pid"),
			(unsigned long long)get(h, "restarted"));
	fprintf(m, "(logread --stats -o json: everything; --sources: each "
		"source)\n");
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*len = cap;
	return buf;
}

/* A label value as the exposition format wants it: \\, \" and \n. */
static void label(FILE *m, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(m, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", m);
		else
			fputc(*s, m);
	}
}

struct metric {
	const char *name, *type, *help, *path;
};

static const struct metric daemon_metrics[] = {
	{ "memlog_uptime_seconds", "gauge", "Seconds since memlogd started.", NULL },
	{ "memlog_ring_size_bytes", "gauge", "Size of the ring.", "ring.size" },
	{ "memlog_ring_used_bytes", "gauge", "Bytes of the ring in use.", "ring.used" },
	{ "memlog_ring_entries", "gauge", "Entries the ring holds.", "ring.entries" },
	{ "memlog_ring_max_entries", "gauge", "Entries the ring may hold.", "ring.max_entries" },
	{ "memlog_ring_newest_seq", "gauge", "Sequence number of the newest entry (entries stored since the start, plus the first).", "ring.newest_seq" },
	{ "memlog_readers_connected", "gauge", "Query clients connected.", "readers.connected" },
	{ "memlog_readers_max", "gauge", "Query clients allowed.", "readers.max" },
	{ "memlog_readers_refused_total", "counter", "Query clients refused (too many).", "readers.refused" },
	{ "memlog_requests_bad_total", "counter", "Requests refused as malformed.", "readers.bad_requests" },
	{ "memlog_sources_open", "gauge", "Sources with an open fd.", "registrations.sources_open" },
	{ "memlog_sources_max", "gauge", "Sources allowed.", "registrations.max_sources" },
	{ "memlog_registrations_accepted_total", "counter", "Registrations accepted.", "registrations.accepted" },
	{ "memlog_registrations_refused_total", "counter", "Registrations refused.", "registrations.refused" },
	{ "memlog_registrations_fds_lost_total", "counter", "Registered fds lost.", "registrations.fds_lost" },
	{ "memlog_registrations_not_kept_total", "counter", "Sources the fd holder could not keep.", "registrations.not_kept" },
	{ "memlog_tees_broken_total", "counter", "Tees that broke.", "registrations.tees_broken" },
};

static const struct metric source_metrics[] = {
	{ "lines_total", "counter", "Entries stored", "lines" },
	{ "bytes_total", "counter", "Message bytes stored", "bytes" },
	{ "dropped_total", "counter", "Lines dropped by the rate limit", "dropped" },
	{ "partial_total", "counter", "Entries that are parts of a split line", "partial" },
};

/* Sources by lines, most first. */
static int by_lines(const void *a, const void *b)
{
	uint64_t x = get(*(json_t *const *)a, "lines");
	uint64_t y = get(*(json_t *const *)b, "lines");
	return x < y ? 1 : x > y ? -1 : 0;
}

char *statsfmt_prometheus(json_t *st, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	json_t *srcs = json_object_get(st, "sources");
	size_t n = json_array_size(srcs);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!m || !v) {
		if (m)
			fclose(m);
		free(buf);
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(daemon_metrics) / sizeof(daemon_metrics[0]); i++) {
		const struct metric *d = &daemon_metrics[i];
		fprintf(m, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help,
			d->name, d->type);
		if (d->path)
			fprintf(m, "%s %llu\n", d->name,
				(unsigned long long)get(st, d->path));
		else
			fprintf(m, "%s %.3f\n", d->name,
				(double)get(st, "uptime_ms") / 1000);
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(srcs, i);
	qsort(v, n, sizeof(*v), by_lines);
	size_t labelled = n < STATSFMT_PROM_SOURCES_MAX ? n
			  : STATSFMT_PROM_SOURCES_MAX;
	for (size_t k = 0; k < sizeof(source_metrics) / sizeof(source_metrics[0]); k++) {
		const struct metric *sm = &source_metrics[k];
		fprintf(m, "# HELP memlog_source_%s %s, per source (the %d "
			"with the most lines).\n# TYPE memlog_source_%s %s\n",
			sm->name, sm->help, STATSFMT_PROM_SOURCES_MAX, sm->name,
			sm->type);
		for (size_t i = 0; i < labelled; i++) {
			const char *name = json_string_value(json_object_get(v[i], "name"));
			const char *stream = json_string_value(json_object_get(v[i], "stream"));
			fprintf(m, "memlog_source_%s{source=\"", sm->name);
			label(m, name ? name : "");
			fprintf(m, "\",stream=\"");
			label(m, stream ? stream : "");
			fprintf(m, "\"} %llu\n", (unsigned long long)get(v[i], sm->path));
		}
		uint64_t rest = 0;
		for (size_t i = labelled; i < n; i++)
			rest += get(v[i], sm->path);
		fprintf(m, "# HELP memlog_source_other_%s %s, summed over the "
			"sources past the first %d.\n# TYPE memlog_source_other_%s "
			"%s\nmemlog_source_other_%s %llu\n", sm->name, sm->help,
			STATSFMT_PROM_SOURCES_MAX, sm->name, sm->type, sm->name,
			(unsigned long long)rest);
	}
	fprintf(m, "# HELP memlog_sources_listed Sources in memlogd's table "
		"(open, or with entries in the ring).\n# TYPE "
		"memlog_sources_listed gauge\nmemlog_sources_listed %zu\n", n);
	free(v);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*len = cap;
	return buf;
}
