#include "sources.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "binstream.h"
#include "conn.h"
#include "diag.h"
#include "fileio.h"
#include "regmsg.h"
#include "jsonenc.h"
#include "session.h"
#include "timefmt.h"
#include "util.h"

/* A stats reply is sized by the source table (about 300 bytes a source);
 * a dump by the ring. Neither is kept past these. */
#define STATS_MAX (64u << 20)

static void fmt_time(char *out, size_t cap, uint64_t ns, bool local)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!ns) {
		snprintf(out, cap, "-");
		return;
	}
	if (!(local ? localtime_r(&s, &tm) : gmtime_r(&s, &tm)))
		gmtime_r(&s, &tm);
	strftime(out, cap, local ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%dT%H:%M:%SZ",
		 &tm);
}

/* A registered source is open while memlogd holds one of its fds; the
 * daemon's own, the kernel's and syslog's while memlogd runs. */
static bool is_open(const struct source_row *r)
{
	return r->fds > 0 || (strcmp(r->stream, "stdout") != 0 &&
			      strcmp(r->stream, "stderr") != 0);
}

/* By name, then by position: the first of equal names sorts first. */
static int by_name(const void *a, const void *b)
{
	const struct source_row *x = *(const struct source_row *const *)a;
	const struct source_row *y = *(const struct source_row *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : x < y ? -1 : x > y;
}

void sources_attach_containers(struct source_row *rows, size_t n,
			       const char *const *names, size_t nnames)
{
	for (size_t i = 0; i < n; i++) {
		struct source_row *r = &rows[i];
		bool out = !strcmp(r->stream, "stdout");
		size_t len = strlen(r->name);

		r->container = NULL;
		if (!r->has_pid || r->uid != 0 ||
		    (!out && strcmp(r->stream, "stderr")))
			continue;
		if (out) {
			if (len < 4 || strcmp(r->name + len - 4, ".out"))
				continue;
			len -= 4;
		}
		for (size_t k = 0; k < nnames; k++)
			if (strlen(names[k]) == len &&
			    !memcmp(names[k], r->name, len)) {
				r->container = names[k];
				break;
			}
	}
}

char *sources_render(const struct source_row *rows, size_t n,
		     enum out_format f, bool local, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);

	if (!m)
		return NULL;
	if (f == OUT_CAT) {
		/* Each name once, in the stats' order: sorted copies find the
		 * repeats (n log n: completion asks on every Tab). */
		const struct source_row **v = malloc((n ? n : 1) * sizeof(*v));
		bool *dup = calloc(n ? n : 1, sizeof(*dup));
		if (!v || !dup) {
			free(v);
			free(dup);
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			v[i] = &rows[i];
		qsort(v, n, sizeof(*v), by_name);
		for (size_t i = 1; i < n; i++)
			if (!strcmp(v[i]->name, v[i - 1]->name))
				dup[v[i] - rows] = true;
		for (size_t i = 0; i < n; i++)
			if (!dup[i])
				fprintf(m, "%s\n", rows[i].name);
		free(v);
		free(dup);
	} else if (f == OUT_JSON) {
		for (size_t i = 0; i < n; i++) {
			const struct source_row *r = &rows[i];
			json_t *o = json_pack("{s:s, s:s}", "name", r->name,
					      "stream", r->stream);
			char t[TIMEFMT_MAX + 1];
			if (!o)
				goto fail;
			if (r->has_pid) {
				json_object_set_new(o, "pid", json_integer(r->pid));
				json_object_set_new(o, "uid", json_integer(r->uid));
			}
			if (r->container)
				json_object_set_new(o, "container",
						    json_string(r->container));
			json_object_set_new(o, "lines", json_integer((json_int_t)r->lines));
			json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
			json_object_set_new(o, "dropped", json_integer((json_int_t)r->dropped));
			json_object_set_new(o, "partial", json_integer((json_int_t)r->partial));
			if (r->first_ns) {
				t[time_format_rfc3339nano(t, r->first_ns)] = '\0';
				json_object_set_new(o, "first", json_string(t));
				t[time_format_rfc3339nano(t, r->last_ns)] = '\0';
				json_object_set_new(o, "last", json_string(t));
			}
			json_object_set_new(o, "open", json_boolean(is_open(r)));
			char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(o);
			if (!s)
				goto fail;
			fprintf(m, "%s\n", s);
			free(s);
		}
	} else {
		int w = 4;
		bool ctrs = false;
		for (size_t i = 0; i < n; i++) {
			w = MAX(w, (int)MIN(strlen(rows[i].name), 40u));
			ctrs |= rows[i].container != NULL;
		}
		/* The column only on a host whose sources have containers. */
		fprintf(m, "%-*s %-6s %7s %6s %9s %10s %7s %7s %-20s %-20s %s%s\n",
			w, "NAME", "STREAM", "PID", "UID", "LINES", "BYTES",
			"DROPS", "PARTIAL", "FIRST", "LAST",
			ctrs ? "STATE " : "STATE", ctrs ? "CONTAINER" : "");
		for (size_t i = 0; i < n; i++) {
			const struct source_row *r = &rows[i];
			char pid[24] = "-", uid[24] = "-", a[32], b[32];
			if (r->has_pid) {
				snprintf(pid, sizeof(pid), "%lld", r->pid);
				snprintf(uid, sizeof(uid), "%lld", r->uid);
			}
			fmt_time(a, sizeof(a), r->first_ns, local);
			fmt_time(b, sizeof(b), r->last_ns, local);
			fprintf(m, "%-*s %-6s %7s %6s %9llu %10llu %7llu %7llu "
				"%-20s %-20s %s%s\n", w, r->name, r->stream, pid,
				uid, (unsigned long long)r->lines,
				(unsigned long long)r->bytes,
				(unsigned long long)r->dropped,
				(unsigned long long)r->partial, a, b,
				ctrs ? (is_open(r) ? "open  " : "ended ")
				     : (is_open(r) ? "open" : "ended"),
				ctrs ? (r->container ? r->container : "-") : "");
		}
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*len = cap;
	return buf;
fail:
	fclose(m);
	free(buf);
	return NULL;
}

/* Sends req to path and reads the whole answer (at most max bytes). */
static int ask(const char *path, const char *req, size_t max, char **out,
	       size_t *len)
{
	int fd = conn_open(path, false);
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0) {
		diag_warn_err(fd, "cannot connect to %s", path);
		return LR_EXIT_CONNECT;
	}
	int r = conn_send(fd, req, strlen(req));
	while (r == 0) {
		if (cap - n < 65536) {
			cap = cap ? 2 * cap : 1u << 20;
			char *nb = cap <= max + 65536 ? realloc(buf, cap + 1) : NULL;
			if (!nb) {
				diag_warn("the server's answer is too large");
				free(buf);
				close(fd);
				return LR_EXIT_RUNTIME;
			}
			buf = nb;
		}
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		else if (k == 0)
			break;
		else
			n += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		diag_warn_err(r, "reading from %s", path);
		free(buf);
		return LR_EXIT_PROTOCOL;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return -1;
}

/* A stats reply or a dump that begins with {"error":...}. */
static bool server_error(const char *buf, size_t len)
{
	json_t *j = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, NULL);
	const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

	if (e)
		diag_warn("the server answered with an error: %s", e);
	json_decref(j);
	return e != NULL;
}

/* First and last entry time of each row, from a dump of the ring. */
static int add_times(const char *path, struct source_row *rows, size_t n)
{
	char *buf;
	size_t len, at = 0, used;
	int code = ask(path, "dump format=binary\n", (size_t)1 << 31, &buf, &len);
	struct binstream bs;
	struct binstream_item it;
	/* sid -> row + 1 (0: not looked up), grown as sids are seen. */
	uint32_t *map = NULL, nmap = 0;

	if (code >= 0)
		return code;
	if (len && buf[0] == '{') {
		if (!server_error(buf, len))
			diag_warn("protocol error: the server did not answer "
				  "with binary records");
		free(buf);
		return LR_EXIT_PROTOCOL;
	}
	binstream_init(&bs);
	for (;;) {
		int r = binstream_next(&bs, buf + at, len - at, &it, &used);
		if (r == 0)
			break;
		if (r < 0) {
			diag_warn("protocol error: the server sent %s", bs.why);
			code = LR_EXIT_PROTOCOL;
			break;
		}
		at += used;
		if (it.type == BINREC_SOURCE && it.rec.sid < nmap)
			map[it.rec.sid] = 0; /* the sid names another source now */
		if (it.type != BINREC_ENTRY)
			continue;
		uint32_t sid = it.rec.sid;
		if (sid >= nmap) {
			uint32_t nn = MAX(sid + 1, 2 * nmap);
			uint32_t *nm = realloc(map, nn * sizeof(*nm));
			if (!nm) {
				diag_warn("out of memory");
				code = LR_EXIT_RUNTIME;
				break;
			}
			memset(nm + nmap, 0, (nn - nmap) * sizeof(*nm));
			map = nm;
			nmap = nn;
		}
		if (!map[sid]) {
			const char *sn = stream_name((enum stream)it.stream);
			for (size_t i = 0; i < n && !map[sid]; i++)
				if (!strcmp(rows[i].name, it.source) &&
				    !strcmp(rows[i].stream, sn))
					map[sid] = (uint32_t)i + 1;
			if (!map[sid])
				continue; /* a source the stats did not list */
		}
		struct source_row *row = &rows[map[sid] - 1];
		if (!row->first_ns)
			row->first_ns = it.rec.time_ns;
		row->last_ns = it.rec.time_ns;
	}
	free(map);
	binstream_free(&bs);
	free(buf);
	return code;
}

uint64_t sources_oldest_time(const char *path)
{
	static const char req[] = "dump format=binary\n";
	int fd = conn_open(path, false);
	char buf[1 << 16];
	size_t len = 0, used;
	uint64_t t = 0;
	struct binstream bs;
	struct binstream_item it;

	if (fd < 0)
		return 0;
	if (conn_send(fd, req, sizeof(req) - 1) < 0) {
		close(fd);
		return 0;
	}
	binstream_init(&bs);
	/* A record is at most a line and its attributes: well within buf. */
	while (!t) {
		ssize_t k = read(fd, buf + len, sizeof(buf) - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		size_t at = 0;
		int r;
		while ((r = binstream_next(&bs, buf + at, len - at, &it, &used)) > 0) {
			at += used;
			if (it.type == BINREC_ENTRY) {
				t = it.rec.time_ns;
				break;
			}
		}
		if (r < 0 || (at == 0 && len == sizeof(buf)))
			break;
		memmove(buf, buf + at, len - at);
		len -= at;
	}
	binstream_free(&bs);
	close(fd);
	return t;
}

static uint64_t num(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (uint64_t)v : 0;
}

int sources_run(const char *path, enum out_format f, bool local)
{
	char *buf, *text;
	size_t len;
	int code = ask(path, "stats\n", STATS_MAX, &buf, &len);

	if (code >= 0)
		return code;
	json_error_t je;
	json_t *st = json_loadb(buf, len, 0, &je);
	free(buf);
	json_t *srcs = st ? json_object_get(st, "sources") : NULL;
	if (st && json_object_get(st, "error")) {
		diag_warn("the server answered with an error: %s",
			  json_string_value(json_object_get(st, "error")));
		json_decref(st);
		return LR_EXIT_PROTOCOL;
	}
	if (!json_is_array(srcs)) {
		diag_warn("protocol error: the server's stats have no sources");
		json_decref(st);
		return LR_EXIT_PROTOCOL;
	}
	size_t n = json_array_size(srcs);
	struct source_row *rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		json_decref(st);
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(srcs, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *stream = json_string_value(json_object_get(o, "stream"));
		rows[i].name = name ? name : "";
		rows[i].stream = stream ? stream : "unknown";
		rows[i].has_pid = json_is_integer(json_object_get(o, "pid"));
		rows[i].pid = json_integer_value(json_object_get(o, "pid"));
		rows[i].uid = json_integer_value(json_object_get(o, "uid"));
		rows[i].lines = num(o, "lines");
		rows[i].bytes = num(o, "bytes");
		rows[i].dropped = num(o, "dropped");
		rows[i].partial = num(o, "partial");
		rows[i].fds = num(o, "fds");
	}
	/* The containers memlogd knows, for the sources memlog-runc made. */
	json_t *list = json_object_get(json_object_get(st, "containers"), "list");
	size_t nc = json_array_size(list);
	const char **cnames = calloc(nc ? nc : 1, sizeof(*cnames));
	if (!cnames) {
		free(rows);
		json_decref(st);
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	size_t k = 0;
	for (size_t i = 0; i < nc; i++) {
		const char *cn = json_string_value(
			json_object_get(json_array_get(list, i), "name"));
		if (cn)
			cnames[k++] = cn;
	}
	sources_attach_containers(rows, n, cnames, k);
	free(cnames);
	/* -o cat needs only the names: no dump. */
	code = f == OUT_CAT ? -1 : add_times(path, rows, n);
	if (code < 0) {
		text = sources_render(rows, n, f, local, &len);
		if (!text) {
			diag_warn("out of memory");
			code = LR_EXIT_RUNTIME;
		} else {
			int r = fd_write_all(STDOUT_FILENO, text, len);
			free(text);
			code = r < 0 && r != -EPIPE ? LR_EXIT_RUNTIME : LR_EXIT_OK;
			if (r < 0 && r != -EPIPE)
				diag_warn_err(r, "cannot write the output");
		}
	}
	free(rows);
	json_decref(st);
	return code;
}
