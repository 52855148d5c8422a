#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "binstream.h"
#include "conn.h"
#include "diag.h"
#include "entry.h"
#include "fileio.h"
#include "format.h"
#include "linereader.h"
#include "manifest.h"
#include "name.h"
#include "redact.h"
#include "regmsg.h"
#include "reply.h"
#include "request.h"
#include "session.h"
#include "util.h"

#define SPOOL_BUF (8u << 10)   /* a temporary file's write buffer */
#define COPY_BUF (64u << 10)   /* read from a temporary file at a time */
#define MORE_FILE "more-sources.log"
#define KERNEL_FILE "kernel.ndjson"

/* One file of the bundle, spooled into an unlinked temporary file until
 * the dump has ended and its size is known. */
struct spool {
	int fd;                 /* the temporary file */
	char *name;             /* its name in the archive (malloc'd) */
	uint64_t size;          /* bytes written to fd */
	size_t len;             /* bytes in buf, not yet written */
	char buf[SPOOL_BUF];
};

struct bundle {
	const struct bundle_opts *o;
	int sock;                       /* the dump's connection */
	struct line_reader lr;          /* its bytes */
	struct binstream bs;            /* its records */
	struct manifest man;            /* what is counted */
	struct redact red;              /* --redact */
	struct entry_builder text;      /* logwrite's text lines */
	struct entry_builder json;      /* the kernel's JSON lines */
	struct spool *files[BUNDLE_FILES_MAX]; /* in order of creation */
	const char *names[BUNDLE_FILES_MAX];   /* their archive names */
	size_t nfiles;
	int more;                       /* MORE_FILE's index, or -1 */
	int kernel;                     /* KERNEL_FILE's index, or -1 */
	char *big;                      /* a line longer than SPOOL_BUF */
	size_t big_cap;
	const char *tmpdir;
	char dir[64];                   /* the archive's top directory */
	uint64_t now_ns;                /* the bundle's time */
	json_t *stats;                  /* memlogd's stats, or NULL */
	const char *stats_error;        /* why not */
};

/* A temporary file nobody else can open: O_TMPFILE, or, where the file
 * system lacks it, a file removed right after it was made. */
static int tmpfile_open(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd < 0 ? -errno : fd;
	if (snprintf(path, sizeof(path), "%s/logread-bundle-XXXXXX", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

static void spool_free(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->name);
	free(s);
}

/* A new file of the bundle named dir/rel. Returns its index or -errno. */
static int file_add(struct bundle *b, const char *rel)
{
	struct spool *s;
	int fd;

	if (b->nfiles == BUNDLE_FILES_MAX) {
		/* source_file() keeps room for the last two: not reached. */
		diag_warn("more than %d files in one bundle", BUNDLE_FILES_MAX);
		return -ENOSPC;
	}
	fd = tmpfile_open(b->tmpdir);
	if (fd < 0) {
		diag_warn_err(fd, "cannot make a temporary file in %s "
			      "(TMPDIR)", b->tmpdir);
		return fd;
	}
	s = calloc(1, sizeof(*s));
	if (s && asprintf(&s->name, "%s/%s", b->dir, rel) < 0)
		s->name = NULL;
	if (!s || !s->name) {
		close(fd);
		free(s);
		diag_warn("out of memory");
		return -ENOMEM;
	}
	s->fd = fd;
	b->files[b->nfiles] = s;
	b->names[b->nfiles] = s->name;
	return (int)b->nfiles++;
}

static int spool_flush(struct spool *s)
{
	int r = s->len ? fd_write_all(s->fd, s->buf, s->len) : 0;

	if (r < 0) {
		diag_warn_err(r, "cannot write a temporary file");
		return r;
	}
	s->len = 0;
	return 0;
}

/* Writes e's line in format f into the file. */
static int spool_line(struct bundle *b, unsigned file, enum lw_format f,
		      const struct lw_entry *e)
{
	struct spool *s = b->files[file];
	size_t bound = format_bound(f, e), n;
	int r;

	if (bound > SPOOL_BUF - s->len && (r = spool_flush(s)) < 0)
		return r;
	if (bound <= SPOOL_BUF) {
		n = format_entry(f, e, s->buf + s->len);
		s->len += n;
		s->size += n;
		return 0;
	}
	if (b->big_cap < bound) {
		char *p = realloc(b->big, bound);
		if (!p) {
			diag_warn("out of memory");
			return -ENOMEM;
		}
		b->big = p;
		b->big_cap = bound;
	}
	n = format_entry(f, e, b->big);
	r = fd_write_all(s->fd, b->big, n);
	if (r < 0) {
		diag_warn_err(r, "cannot write a temporary file");
		return r;
	}
	s->size += n;
	return 0;
}

/* The file of source si, made when the source is new: its own while
 * there is room, else MORE_FILE. */
static int source_file(struct bundle *b, unsigned si)
{
	struct manifest_source *s = &b->man.srcs[si];
	char base[FILE_BASE_MAX + 1], rel[FILE_BASE_MAX + 16];
	const char *sn = stream_name((enum stream)s->stream);
	int k;

	if (b->nfiles < BUNDLE_FILES_MAX - 2) {
		name_file_base(s->name, s->name_len, sn, strlen(sn), base);
		snprintf(rel, sizeof(rel), "logs/%s.log", base);
		k = file_add(b, rel);
	} else {
		k = b->more >= 0 ? b->more : file_add(b, MORE_FILE);
		b->more = k;
	}
	if (k >= 0)
		s->file = (unsigned)k;
	return k;
}

/* The index of the source (name, stream), with its file. */
static int source_of(struct bundle *b, const char *name, size_t len,
		     uint8_t stream)
{
	size_t before = b->man.nsrcs;
	int si = manifest_source(&b->man, name, len, stream);

	if (si == -ENOSPC) {
		diag_warn("the dump names more than %d sources",
			  MANIFEST_SOURCES_MAX);
		return si;
	}
	if (si < 0) {
		diag_warn("out of memory");
		return si;
	}
	if (b->man.nsrcs > before && source_file(b, (unsigned)si) < 0)
		return -EIO;
	return si;
}

static int take_entry(struct bundle *b, const struct binstream_item *it)
{
	struct binstream_item x = *it;
	struct lw_entry e;
	int si, red, r;

	si = source_of(b, it->source, it->source_len, it->stream);
	if (si < 0)
		return si;
	red = redact_apply(&b->red, it->rec.msg, it->rec.msg_len,
			   &x.rec.msg, &x.rec.msg_len);
	if (red < 0 || manifest_entry(&b->man, (unsigned)si, it, x.rec.msg,
				      x.rec.msg_len, (unsigned)red) < 0 ||
	    entry_from_record(&b->text, LW_FORMAT_TEXT, &b->bs, &x, &e) < 0) {
		diag_warn("out of memory");
		return -ENOMEM;
	}
	r = spool_line(b, b->man.srcs[si].file, LW_FORMAT_TEXT, &e);
	if (r < 0 || it->stream != STREAM_KERNEL)
		return r;
	if (b->kernel < 0 && (b->kernel = file_add(b, KERNEL_FILE)) < 0)
		return b->kernel;
	if (entry_from_record(&b->json, LW_FORMAT_JSON, &b->bs, &x, &e) < 0) {
		diag_warn("out of memory");
		return -ENOMEM;
	}
	return spool_line(b, (unsigned)b->kernel, LW_FORMAT_JSON, &e);
}

/* A reader's loss marker goes where logwrite puts it: memlogd's file. */
static int take_marker(struct bundle *b, const struct binstream_item *it)
{
	struct lw_entry e;
	int si = source_of(b, "memlogd", 7, STREAM_NONE);

	if (si < 0)
		return si;
	if (manifest_marker(&b->man, it) < 0 ||
	    entry_from_record(&b->text, LW_FORMAT_TEXT, &b->bs, it, &e) < 0) {
		diag_warn("out of memory");
		return -ENOMEM;
	}
	return spool_line(b, b->man.srcs[si].file, LW_FORMAT_TEXT, &e);
}

/* The JSON error line of a request refused before it was taken. */
static int refused(struct bundle *b)
{
	struct reply_field msg;
	char err[REPLY_ERR_MAX];
	json_t *root = NULL;
	const char *line;
	size_t len;
	int code = LR_EXIT_PROTOCOL;

	int k;

	while ((k = line_reader_next(&b->lr, &line, &len)) == 0 &&
	       !b->lr.eof)
		if (line_reader_fill(&b->lr) < 0)
			break;
	if (k == 1 &&
	    reply_parse(line, len, &root, &msg, err) == REPLY_SERVER_ERROR)
		diag_warn("the server answered with an error: %.*s",
			  (int)msg.len, msg.ptr);
	else
		diag_warn("protocol error: the server's answer is not one "
			  "of binary records");
	json_decref(root);
	return code;
}

/* Reads the dump to its end. Returns -1 when done, else an exit code. */
static int read_dump(struct bundle *b)
{
	for (;;) {
		struct binstream_item it;
		size_t avail, used;
		const char *p = line_reader_data(&b->lr, &avail);
		ssize_t n;
		int k;

		if (avail && !b->bs.hello && p[0] == '{')
			return refused(b);
		k = avail ? binstream_next(&b->bs, p, avail, &it, &used) : 0;
		if (k < 0) {
			diag_warn("protocol error: the server sent %s",
				  b->bs.why);
			return LR_EXIT_PROTOCOL;
		}
		if (k == 1) {
			line_reader_take(&b->lr, used);
			if (it.type == BINREC_ERROR) {
				diag_warn("the server answered with an error: "
					  "%.*s", (int)it.rec.msg_len,
					  it.rec.msg);
				return LR_EXIT_PROTOCOL;
			}
			if (it.type == BINREC_HELLO) {
				b->man.hello = true;
				b->man.instance = b->bs.instance;
			}
			k = it.type == BINREC_ENTRY ? take_entry(b, &it) :
			    it.type == BINREC_MARKER ? take_marker(b, &it) : 0;
			if (k < 0)
				return LR_EXIT_RUNTIME;
			continue;
		}
		if (b->lr.eof) {
			if (!avail && b->bs.hello)
				return -1;
			diag_warn("protocol error: the server's answer ends "
				  "inside a record");
			return LR_EXIT_PROTOCOL;
		}
		n = line_reader_fill(&b->lr);
		if (n < 0) {
			diag_warn_err((int)n, "cannot read from the server");
			return LR_EXIT_RUNTIME;
		}
	}
}

/* memlogd's stats, asked on a second connection right after the dump
 * (the dump's own connection carries only entries). A failure is said
 * in the manifest: the entries are worth more than the counters. */
static void read_stats(struct bundle *b)
{
	struct request req = { .mode = QUERY_STATS, .v2 = true };
	char line[REQUEST_MAX], err[REPLY_ERR_MAX];
	struct line_reader lr;
	struct reply_field msg;
	json_t *root = NULL;
	int n = request_build(&req, line, sizeof(line));
	int fd = conn_open(b->o->socket, false);

	if (fd < 0 || conn_send(fd, line, (size_t)n) < 0) {
		b->stats_error = "cannot connect to ask for the stats";
		if (fd >= 0)
			close(fd);
		return;
	}
	line_reader_init(&lr, fd, BUNDLE_STATS_MAX);
	while (!lr.eof && lr.end - lr.start <= BUNDLE_STATS_MAX)
		if (line_reader_fill(&lr) < 0)
			break;
	if (!lr.eof) {
		b->stats_error = "the stats could not be read";
	} else if (reply_parse(lr.buf ? lr.buf + lr.start : "",
			       lr.end - lr.start, &root, &msg, err) != 0) {
		b->stats_error = "memlogd refused the stats request, or "
				 "answered something else";
		json_decref(root);
	} else {
		b->stats = root;
	}
	line_reader_free(&lr);
	close(fd);
	if (b->stats_error)
		diag_warn("%s; the bundle has no stats", b->stats_error);
}

static int archive_fail(struct archive *a, const char *path)
{
	diag_warn("cannot write the bundle %s: %s", path,
		  archive_error_string(a) ? archive_error_string(a) :
		  "unknown error");
	return LR_EXIT_RUNTIME;
}

/* One archive entry's header: a regular file of size bytes, or a
 * directory (size < 0). */
static int put_header(struct archive *a, const char *name, int64_t size,
		      uint64_t now_ns)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return ARCHIVE_FATAL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, size < 0 ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, size < 0 ? 0755 : 0644);
	archive_entry_set_size(e, size < 0 ? 0 : size);
	archive_entry_set_mtime(e, (time_t)(now_ns / 1000000000u),
				(long)(now_ns % 1000000000u));
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r;
}

/* A file of the bundle made in memory (the JSON files). */
static int put_json(struct archive *a, const struct bundle *b,
		    const char *rel, json_t *j)
{
	char name[128];
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	size_t len;
	int r;

	if (!text)
		return ARCHIVE_FATAL;
	len = strlen(text);
	text[len] = '\n'; /* json_dumps's NUL: the file ends with a newline */
	snprintf(name, sizeof(name), "%s/%s", b->dir, rel);
	r = put_header(a, name, (int64_t)len + 1, b->now_ns);
	if (r == ARCHIVE_OK && archive_write_data(a, text, len + 1) !=
	    (la_ssize_t)(len + 1))
		r = ARCHIVE_FATAL;
	free(text);
	return r;
}

/* A spooled file, copied from its temporary file. */
static int put_spool(struct archive *a, const struct bundle *b,
		     struct spool *s, char *buf)
{
	uint64_t off = 0;
	int r = put_header(a, s->name, (int64_t)s->size, b->now_ns);

	while (r == ARCHIVE_OK && off < s->size) {
		ssize_t n = pread(s->fd, buf, (size_t)MIN((uint64_t)COPY_BUF,
					      s->size - off), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			diag_warn_err(n < 0 ? errno : EIO,
				      "cannot read a temporary file");
			return ARCHIVE_FATAL;
		}
		if (archive_write_data(a, buf, (size_t)n) != n)
			r = ARCHIVE_FATAL;
		off += (uint64_t)n;
	}
	return r;
}

static json_t *make_manifest(const struct bundle *b)
{
	char host[256] = "";
	struct manifest_info i = {
		.host = host, .now_ns = b->now_ns, .request = b->o->request,
		.redact = b->o->redact, .nredact = b->o->nredact,
		.files = b->names, .nfiles = b->nfiles,
		.kernel_file = b->kernel >= 0 ? b->names[b->kernel] : NULL,
		.stats = b->stats, .stats_error = b->stats_error,
	};

	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "");
	return manifest_json(&b->man, &i);
}

/* Writes the archive to fd. Returns -1 or an exit code. */
static int write_archive(struct bundle *b, int fd)
{
	struct archive *a = archive_write_new();
	json_t *manifest = make_manifest(b);
	json_t *sources = json_object_get(b->stats, "sources");
	char *buf = malloc(COPY_BUF), logs[80];
	int r = ARCHIVE_FATAL, code = -1;

	if (!a || !manifest || !buf) {
		diag_warn("out of memory");
		code = LR_EXIT_RUNTIME;
		goto out;
	}
	snprintf(logs, sizeof(logs), "%s/logs", b->dir);
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		goto fail;
	r = put_header(a, b->dir, -1, b->now_ns);
	if (r == ARCHIVE_OK)
		r = put_json(a, b, "manifest.json", manifest);
	if (r == ARCHIVE_OK && b->stats)
		r = put_json(a, b, "stats.json", b->stats);
	if (r == ARCHIVE_OK && sources)
		r = put_json(a, b, "sources.json", sources);
	if (r == ARCHIVE_OK)
		r = put_header(a, logs, -1, b->now_ns);
	for (size_t k = 0; r == ARCHIVE_OK && k < b->nfiles; k++) {
		if (spool_flush(b->files[k]) < 0) {
			code = LR_EXIT_RUNTIME;
			goto out;
		}
		r = put_spool(a, b, b->files[k], buf);
	}
	if (r == ARCHIVE_OK && archive_write_close(a) == ARCHIVE_OK)
		goto out;
fail:
	code = archive_fail(a, b->o->path);
out:
	if (a)
		archive_write_free(a);
	json_decref(manifest);
	free(buf);
	return code;
}

/* The archive's top directory: memlog-bundle-YYYYMMDDTHHMMSSZ. */
static void top_dir(struct bundle *b)
{
	time_t t = (time_t)(b->now_ns / 1000000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(b->dir, sizeof(b->dir), "memlog-bundle-%Y%m%dT%H%M%SZ", &tm);
}

static void bundle_free(struct bundle *b)
{
	for (size_t k = 0; k < b->nfiles; k++)
		spool_free(b->files[k]);
	line_reader_free(&b->lr);
	binstream_free(&b->bs);
	manifest_free(&b->man);
	redact_free(&b->red);
	entry_builder_free(&b->text);
	entry_builder_free(&b->json);
	free(b->big);
	json_decref(b->stats);
	if (b->sock >= 0)
		close(b->sock);
}

/* The archive's file: standard output (not a terminal), or path created
 * (never one that exists: a bundle does not replace a file). Returns the
 * fd, or -1 with the reason said. */
static int open_output(const char *path)
{
	int fd;

	if (!strcmp(path, "-")) {
		if (isatty(STDOUT_FILENO)) {
			diag_warn("the bundle is a compressed archive: give "
				  "-bundle a file, or pipe standard output "
				  "(-bundle - | tar -tz)");
			return -1;
		}
		return STDOUT_FILENO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		diag_warn_err(errno, "cannot create the bundle %s%s", path,
			      errno == EEXIST ? " (a bundle never replaces a "
			      "file)" : "");
	return fd;
}

int bundle_take(const struct bundle_opts *o, int sock)
{
	struct bundle b = { .o = o, .sock = sock, .more = -1, .kernel = -1 };
	char err[320];
	int code, fd;

	line_reader_init(&b.lr, sock, LINE_READER_MAX);
	binstream_init(&b.bs);
	manifest_init(&b.man);
	entry_builder_init(&b.text);
	entry_builder_init(&b.json);
	b.tmpdir = getenv("TMPDIR");
	if (!b.tmpdir || !*b.tmpdir)
		b.tmpdir = "/tmp";
	b.now_ns = now_realtime_ns();
	top_dir(&b);
	if (redact_init(&b.red, o->redact, o->nredact, err, sizeof(err)) < 0) {
		diag_usage("%s", err);
		bundle_free(&b);
		return LR_EXIT_USAGE;
	}
	fd = open_output(o->path);
	if (fd < 0) {
		bundle_free(&b);
		return LR_EXIT_RUNTIME;
	}
	code = read_dump(&b);
	if (code < 0) {
		close(b.sock);
		b.sock = -1;
		read_stats(&b);
		code = write_archive(&b, fd);
	}
	if (code < 0) {
		/* The manifest says it too (memlogd.same_instance). */
		const char *si = json_string_value(
			json_object_get(b.stats, "instance"));
		char inst[17];
		snprintf(inst, sizeof(inst), "%016llx",
			 (unsigned long long)b.man.instance);
		if (si && strcmp(si, inst))
			diag_warn("memlogd started anew (instance %s, the "
				  "dump's was %s) right after the dump: the "
				  "stats in the bundle are the new one's, as "
				  "its manifest says", si, inst);
		code = LR_EXIT_OK;
	}
	if (fd != STDOUT_FILENO) {
		if (code == LR_EXIT_OK && close(fd) < 0) {
			diag_warn_err(errno, "cannot write the bundle %s",
				      o->path);
			code = LR_EXIT_RUNTIME;
		} else if (code != LR_EXIT_OK) {
			close(fd);
		}
		if (code != LR_EXIT_OK)
			unlink(o->path); /* ours: made with O_EXCL above */
	}
	bundle_free(&b);
	return code;
}
