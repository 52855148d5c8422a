#include "state.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "ledger.h"
#include "util.h"

void state_free(struct lw_state *s)
{
	free(s->files);
	free(s->parks);
	for (size_t i = 0; i < s->nowns; i++)
		free(s->owns[i].inos);
	free(s->owns);
	memset(s, 0, sizeof(*s));
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && !memcmp(p, w, n);
}

/* Splits a line into at most max space-separated words; returns how many,
 * or -1 for an empty word (two spaces, a leading or trailing space). */
static int split(const char *line, size_t len, struct lw_field *w, int max)
{
	int n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start || n == max)
			return -1;
		w[n].ptr = line + start;
		w[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

static int get_len(struct lw_field f, uint64_t *out)
{
	char num[24];

	if (f.len == 0 || f.len >= sizeof(num))
		return -EINVAL;
	memcpy(num, f.ptr, f.len);
	num[f.len] = '\0';
	return parse_u64(num, UINT64_MAX, out);
}

static int get_base(struct lw_field f, char out[FILE_BASE_MAX + 1])
{
	if (f.len > FILE_BASE_MAX || !name_base_ok(f.ptr, f.len))
		return -EINVAL;
	memcpy(out, f.ptr, f.len);
	out[f.len] = '\0';
	return 0;
}

static int cmp_base(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is a base listed twice (as a file, a park, or both)? */
static int check_unique(const struct lw_state *s)
{
	size_t n = s->nfiles + s->nparks, k = 0;
	const char **v;
	int r = 0;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nfiles; i++)
		v[k++] = s->files[i].base;
	for (size_t i = 0; i < s->nparks; i++)
		v[k++] = s->parks[i].base;
	qsort(v, n, sizeof(*v), cmp_base);
	for (size_t i = 1; i < n && !r; i++)
		if (!strcmp(v[i - 1], v[i]))
			r = -EINVAL;
	free(v);
	return r;
}

/* Makes room for one more element of size sz in *arr (n used, *cap). */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	na = realloc(*arr, ncap * sz);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = ncap;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "own BASE [new] INODE..." into s->owns. -EINVAL, -ENOMEM. */
static int parse_own(const char *line, size_t len, struct lw_state *s,
		     size_t *cap)
{
	struct state_own o;
	size_t pos = 4, nic = 0;
	unsigned word = 0;

	memset(&o, 0, sizeof(o));
	while (pos <= len) {
		const char *sp = memchr(line + pos, ' ', len - pos);
		size_t wl = sp ? (size_t)(sp - line) - pos : len - pos;
		struct lw_field f = { line + pos, wl };
		uint64_t ino;

		if (wl == 0)
			goto bad;
		if (word == 0) {
			if (get_base(f, o.base) < 0)
				goto bad;
		} else if (word == 1 && word_is(f.ptr, f.len, "new")) {
			o.creating = true;
		} else {
			if (get_len(f, &ino) < 0 || ino == 0 ||
			    o.n == STATE_INOS_MAX)
				goto bad;
			if (grow((void **)&o.inos, o.n, &nic, sizeof(*o.inos)) < 0) {
				free(o.inos);
				return -ENOMEM;
			}
			o.inos[o.n++] = ino;
		}
		word++;
		pos += wl + 1;
	}
	if (!o.creating && o.n == 0)
		goto bad;
	if (o.n > 1) { /* an inode listed twice is not what logwrite writes */
		uint64_t *v = malloc(o.n * sizeof(*v));
		if (!v) {
			free(o.inos);
			return -ENOMEM;
		}
		memcpy(v, o.inos, o.n * sizeof(*v));
		qsort(v, o.n, sizeof(*v), cmp_u64);
		for (size_t i = 1; i < o.n; i++)
			if (v[i] == v[i - 1]) {
				free(v);
				goto bad;
			}
		free(v);
	}
	if (s->nowns == LEDGER_BASES_MAX)
		goto bad;
	if (grow((void **)&s->owns, s->nowns, cap, sizeof(*s->owns)) < 0) {
		free(o.inos);
		return -ENOMEM;
	}
	s->owns[s->nowns++] = o;
	return 0;
bad:
	free(o.inos);
	return -EINVAL;
}

static bool owns_base(const struct lw_state *s, const char *base)
{
	for (size_t i = 0; i < s->nowns; i++)
		if (!strcmp(s->owns[i].base, base))
			return true;
	return false;
}

/* Version 2: every own line's base once, its total within the ledger's
 * limit, and every listed file with its own line. */
static int check_owns(const struct lw_state *s, char err[STATE_ERR_MAX])
{
	const char **v;
	size_t total = 0;
	int r = 0;

	for (size_t i = 0; i < s->nowns; i++)
		total += s->owns[i].n;
	if (total > LEDGER_FILES_MAX) {
		snprintf(err, STATE_ERR_MAX, "more than %u files owned",
			 LEDGER_FILES_MAX);
		return -EINVAL;
	}
	if (s->nowns > 1) {
		v = malloc(s->nowns * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < s->nowns; i++)
			v[i] = s->owns[i].base;
		qsort(v, s->nowns, sizeof(*v), cmp_base);
		for (size_t i = 1; i < s->nowns && !r; i++)
			if (!strcmp(v[i - 1], v[i]))
				r = -EINVAL;
		free(v);
		if (r < 0) {
			snprintf(err, STATE_ERR_MAX, "a base is owned twice");
			return r;
		}
	}
	if (s->version < 2)
		return 0;
	/* A few hundred files at most are listed: a plain search will do. */
	for (size_t i = 0; i < s->nfiles; i++)
		if (!owns_base(s, s->files[i].base)) {
			snprintf(err, STATE_ERR_MAX, "file %.60s has no own line",
				 s->files[i].base);
			return -EINVAL;
		}
	return 0;
}

enum part { P_HEADER, P_CURSOR, P_FILES, P_END, P_DONE };

int state_parse(const char *text, size_t len, struct lw_state *out,
		char err[STATE_ERR_MAX])
{
	struct lw_state s;
	enum part at = P_HEADER;
	size_t pos = 0, cap = 0, pcap = 0, ocap = 0;
	unsigned lineno = 0;
	int r;

	memset(&s, 0, sizeof(s));
	if (len > STATE_TEXT_MAX) {
		snprintf(err, STATE_ERR_MAX, "longer than %u bytes", STATE_TEXT_MAX);
		return -EINVAL;
	}
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		struct lw_field w[4];
		size_t ll;
		int nw;

		lineno++;
		if (!nl) {
			snprintf(err, STATE_ERR_MAX, "line %u is not complete", lineno);
			goto bad;
		}
		ll = (size_t)(nl - line);
		pos += ll + 1;
		if (at == P_DONE) {
			snprintf(err, STATE_ERR_MAX, "text after \"end\" (line %u)",
				 lineno);
			goto bad;
		}
		if (at == P_HEADER) {
			if (word_is(line, ll, STATE_MAGIC)) {
				s.version = 2;
			} else if (word_is(line, ll, STATE_MAGIC_V1)) {
				s.version = 1;
			} else {
				snprintf(err, STATE_ERR_MAX, "not a logwrite state "
					 "file (no \"" STATE_MAGIC "\" header)");
				goto bad;
			}
			at = P_CURSOR;
			continue;
		}
		if (ll > 4 && !memcmp(line, "own ", 4) && s.version >= 2 &&
		    (at == P_CURSOR || at == P_FILES)) {
			r = parse_own(line, ll, &s, &ocap);
			if (r == -ENOMEM) {
				state_free(&s);
				return r;
			}
			if (r < 0)
				goto bad_line;
			at = P_FILES;
			continue;
		}
		nw = split(line, ll, w, 4);
		if (nw < 1)
			goto bad_line;
		if (word_is(w[0].ptr, w[0].len, "cursor") && at == P_CURSOR) {
			if (nw != 2)
				goto bad_line;
			if (!cursor_text_valid(w[1].ptr, w[1].len)) {
				snprintf(err, STATE_ERR_MAX, "line %u: a damaged "
					 "cursor", lineno);
				goto bad;
			}
			memcpy(s.cursor, w[1].ptr, w[1].len);
			s.cursor[w[1].len] = '\0';
			at = P_FILES;
		} else if (word_is(w[0].ptr, w[0].len, "file") &&
			   (at == P_CURSOR || at == P_FILES)) {
			struct state_file f;

			if (nw != 3 || get_base(w[1], f.base) < 0 ||
			    get_len(w[2], &f.committed) < 0)
				goto bad_line;
			if (s.nfiles + s.nparks == STATE_FILES_MAX)
				goto too_many;
			if (grow((void **)&s.files, s.nfiles, &cap,
				 sizeof(*s.files)) < 0) {
				state_free(&s);
				return -ENOMEM;
			}
			s.files[s.nfiles++] = f;
			at = P_FILES;
		} else if (word_is(w[0].ptr, w[0].len, "park") && s.version >= 2 &&
			   (at == P_CURSOR || at == P_FILES)) {
			struct state_park p;

			if (nw != 3 || get_base(w[1], p.base) < 0 ||
			    get_len(w[2], &p.dropped) < 0)
				goto bad_line;
			if (s.nfiles + s.nparks == STATE_FILES_MAX)
				goto too_many;
			if (grow((void **)&s.parks, s.nparks, &pcap,
				 sizeof(*s.parks)) < 0) {
				state_free(&s);
				return -ENOMEM;
			}
			s.parks[s.nparks++] = p;
			at = P_FILES;
		} else if (word_is(w[0].ptr, w[0].len, "rotate") &&
			   (at == P_CURSOR || at == P_FILES)) {
			if (nw != 4 || get_base(w[1], s.rot_base) < 0 ||
			    get_len(w[3], &s.rot_len) < 0)
				goto bad_line;
			if (word_is(w[2].ptr, w[2].len, "shift"))
				s.rot_step = ROT_SHIFT;
			else if (word_is(w[2].ptr, w[2].len, "compress"))
				s.rot_step = ROT_COMPRESS;
			else
				goto bad_line;
			at = P_END;
		} else if (word_is(w[0].ptr, w[0].len, "end") && nw == 1) {
			at = P_DONE;
		} else {
			goto bad_line;
		}
	}
	if (at != P_DONE) {
		snprintf(err, STATE_ERR_MAX, "no \"end\" line: the file is cut short");
		goto bad;
	}
	r = check_unique(&s);
	if (r == -ENOMEM) {
		state_free(&s);
		return r;
	}
	if (r < 0) {
		snprintf(err, STATE_ERR_MAX, "a file is listed twice");
		goto bad;
	}
	r = check_owns(&s, err);
	if (r == -ENOMEM) {
		state_free(&s);
		return r;
	}
	if (r < 0)
		goto bad;
	*out = s;
	return 0;
too_many:
	snprintf(err, STATE_ERR_MAX, "more than %u files", STATE_FILES_MAX);
	goto bad;
bad_line:
	snprintf(err, STATE_ERR_MAX, "line %u is malformed", lineno);
bad:
	state_free(&s);
	return -EINVAL;
}

/* ---- building the text ---- */

static void append(struct state_text *t, const char *s, size_t n)
{
	if (t->nomem)
		return;
	if (t->cap - t->len < n) {
		size_t ncap = t->cap ? t->cap : 256;
		char *nb;

		while (ncap - t->len < n)
			ncap *= 2;
		nb = realloc(t->buf, ncap);
		if (!nb) {
			t->nomem = true;
			return;
		}
		t->buf = nb;
		t->cap = ncap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void append_str(struct state_text *t, const char *s)
{
	append(t, s, strlen(s));
}

static void append_u64(struct state_text *t, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	append(t, num, (size_t)n);
}

void state_text_begin(struct state_text *t, const char *cursor)
{
	t->len = 0;
	t->nomem = false;
	append_str(t, STATE_MAGIC "\n");
	if (cursor && *cursor) {
		append_str(t, "cursor ");
		append_str(t, cursor);
		append_str(t, "\n");
	}
}

void state_text_file(struct state_text *t, const char *base,
		     uint64_t committed)
{
	append_str(t, "file ");
	append_str(t, base);
	append_str(t, " ");
	append_u64(t, committed);
	append_str(t, "\n");
}

void state_text_park(struct state_text *t, const char *base,
		     uint64_t dropped)
{
	append_str(t, "park ");
	append_str(t, base);
	append_str(t, " ");
	append_u64(t, dropped);
	append_str(t, "\n");
}

void state_text_own(struct state_text *t, const char *base, bool creating,
		    const uint64_t *inos, size_t n)
{
	append_str(t, "own ");
	append_str(t, base);
	if (creating)
		append_str(t, " new");
	for (size_t i = 0; i < n; i++) {
		append_str(t, " ");
		append_u64(t, inos[i]);
	}
	append_str(t, "\n");
}

void state_text_rotate(struct state_text *t, enum rot_step step,
		       const char *base, uint64_t len)
{
	if (step == ROT_NONE)
		return;
	append_str(t, "rotate ");
	append_str(t, base);
	append_str(t, step == ROT_SHIFT ? " shift " : " compress ");
	append_u64(t, len);
	append_str(t, "\n");
}

int state_text_end(struct state_text *t)
{
	append_str(t, "end\n");
	return t->nomem ? -ENOMEM : 0;
}

void state_text_free(struct state_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* ---- I/O ---- */

int state_load(int dirfd, const char *name, char **text, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	/* O_NONBLOCK: a FIFO put in its place must not hang the start. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			O_NONBLOCK);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > STATE_TEXT_MAX) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > (size_t)st.st_size) { /* it grew: not ours */
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	*text = buf;
	*len = n;
	return 1;
}

int state_save(int dirfd, const char *name, const char *text, size_t len,
	       bool sync, const char **op)
{
	return file_replace(dirfd, name, text, len, 0644,
			    sync ? FILE_REPLACE_SYNC : 0, op);
}
