#include "session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "diag.h"
#include "follow.h"
#include "query.h"
#include "reply.h"
#include "statsfmt.h"
#include "util.h"

void session_init(struct session *s, int sock, int sigfd,
		  const struct output *out)
{
	memset(s, 0, sizeof(*s));
	s->sock = sock;
	s->sigfd = sigfd;
	s->out = *out;
	line_reader_init(&s->lr, sock, LINE_READER_MAX);
	binstream_init(&s->bs);
}

void session_expect(struct session *s, const struct request *req)
{
	s->binary = req->binary;
	s->detect = !req->v2 && req->upgrade;
}

/* An upgraded legacy request's answer: JSON lines start with '{' (an
 * entry, or an error), binary records with HELLO's length. */
static void detect(struct session *s)
{
	size_t avail;
	const char *p = line_reader_data(&s->lr, &avail);

	if (!avail)
		return;
	s->detect = false;
	s->binary = p[0] != '{';
}

void session_pending(struct session *s)
{
	if (!s->pending_bin)
		return;
	cursor_format(s->pending, (struct cursor){ s->pending_inst,
						   s->pending_seq });
	s->pending_len = CURSOR_LEN;
	s->pending_bin = false;
}

void session_follow(struct session *s, const char *path,
		    const struct request *first)
{
	s->follow = true;
	s->path = path;
	s->first = first;
	s->lr.drop_cut = true;
	reconn_init(&s->rc);
	backoff_init(&s->bo, FOLLOW_BACKOFF_MIN_MS, FOLLOW_BACKOFF_MAX_MS);
}

void session_attach(struct session *s, int sock)
{
	bool drop_cut = s->lr.drop_cut;

	if (s->sock >= 0)
		close(s->sock);
	s->sock = sock;
	line_reader_free(&s->lr);
	line_reader_init(&s->lr, sock, LINE_READER_MAX);
	s->lr.drop_cut = drop_cut;
	binstream_reset(&s->bs); /* a new connection starts with HELLO */
}

void session_free(struct session *s)
{
	line_reader_free(&s->lr);
	binstream_free(&s->bs);
	output_free(&s->out);
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
}

/* Takes a stop signal off the signalfd, so that a second one can cut short
 * the final flush. */
static void consume_signal(struct session *s)
{
	struct signalfd_siginfo si;

	if (s->sigfd >= 0)
		IGNORE_RESULT(read(s->sigfd, &si, sizeof(si)));
}

/* Maps an output error to the exit code, saying what is worth saying. A
 * closed pipe (logread | head) and a stop signal are normal ends. */
static int output_error(struct session *s, int r)
{
	if (r == -EINTR) {
		consume_signal(s);
		return LR_EXIT_OK;
	}
	s->output_dead = true;
	if (r == -EPIPE)
		return LR_EXIT_OK;
	diag_warn_err(r, "cannot write the output");
	return LR_EXIT_RUNTIME;
}

/* The entries buffered so far are out: their cursor is the one to save. */
static void mark_written(struct session *s)
{
	session_pending(s);
	if (s->pending_len) {
		memcpy(s->saved, s->pending, s->pending_len + 1);
		s->saved_len = s->pending_len;
	}
}

/* Writes out what is buffered. Returns -1 to go on or an exit code. */
static int flush(struct session *s)
{
	int r = output_flush(&s->out, s->sigfd);

	if (r < 0)
		return output_error(s, r);
	mark_written(s);
	return -1;
}

static void say_server_error(struct reply_field msg)
{
	diag_warn("the server answered with an error: %.*s", (int)msg.len,
		  msg.ptr);
}

/* The server answered {"error":...}: says so, returns the exit code. */
static int server_error(const struct session *s, struct reply_field msg)
{
	if (s->cursor_file && query_error_refuses_cursor(msg.ptr, msg.len)) {
		diag_warn("the cursor file %s holds no valid cursor (the server "
			  "answered: %.*s); remove it to start from the "
			  "beginning", s->cursor_file, (int)msg.len, msg.ptr);
		return LR_EXIT_CURSOR;
	}
	say_server_error(msg);
	return LR_EXIT_PROTOCOL;
}

/* Returns -1 to go on or an exit code. */
static int handle_line(struct session *s, const char *line, size_t len)
{
	char err[REPLY_ERR_MAX];
	struct reply_entry e;
	json_t *root = NULL;
	int r = reply_entry_parse(line, len, &root, &e, err);

	if (r == REPLY_SERVER_ERROR) {
		int code = server_error(s, e.msg);
		json_decref(root);
		return code;
	}
	if (r < 0) {
		diag_warn("protocol error: the server sent %s", err);
		return LR_EXIT_PROTOCOL;
	}
	if (e.cursor.ptr && !cursor_text_ok(e.cursor.ptr, e.cursor.len)) {
		diag_warn("protocol error: the server sent a malformed cursor");
		json_decref(root);
		return LR_EXIT_PROTOCOL;
	}
	r = output_entry(&s->out, &e, line, len);
	if (s->follow)
		backoff_reset(&s->bo);
	if (r == 0 && e.cursor.ptr) {
		memcpy(s->pending, e.cursor.ptr, e.cursor.len);
		s->pending[e.cursor.len] = '\0';
		s->pending_len = e.cursor.len;
	}
	json_decref(root);
	if (r < 0) {
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	if (s->out.len >= OUTPUT_FLUSH_AT)
		return flush(s);
	return -1;
}

/* One binary record. Returns -1 to go on or an exit code. */
static int handle_record(struct session *s, const struct binstream_item *it)
{
	int r;

	switch (it->type) {
	case BINREC_ERROR:
		return server_error(s, (struct reply_field){ it->rec.msg,
							     it->rec.msg_len });
	case BINREC_ENTRY:
	case BINREC_MARKER:
		break;
	default:
		return -1; /* HELLO, SOURCE: taken in by s->bs */
	}
	r = output_record(&s->out, &s->bs, it);
	if (r == -EFBIG) {
		diag_warn("-r: the dump is more than %u MiB once formatted; "
			  "select less (-n, -u, -since, -g...)",
			  OUTPUT_REVERSE_MAX >> 20);
		return LR_EXIT_RUNTIME;
	}
	if (r < 0) {
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	if (s->follow)
		backoff_reset(&s->bo);
	/* A marker's cursor names the last entry it counts. */
	s->pending_bin = true;
	s->pending_inst = s->bs.instance;
	s->pending_seq = it->type == BINREC_ENTRY ? it->rec.seq : it->rec.last;
	if (s->out.len >= OUTPUT_FLUSH_AT)
		return flush(s);
	return -1;
}

/* Takes the complete records received. Returns -1 to go on (more must be
 * read) or an exit code. */
static int take_records(struct session *s)
{
	for (;;) {
		struct binstream_item it;
		size_t avail, used;
		const char *p = line_reader_data(&s->lr, &avail);
		int k, code;

		if (!avail)
			return -1;
		if (!s->bs.hello && p[0] == '{') {
			/* Refused before the request was taken: the JSON
			 * error line (docs/protocol.md). */
			const char *line;
			size_t len;
			k = line_reader_next(&s->lr, &line, &len);
			if (k == 1)
				return handle_line(s, line, len);
			return k < 0 ? LR_EXIT_PROTOCOL : -1;
		}
		k = binstream_next(&s->bs, p, avail, &it, &used);
		if (k == 0)
			return -1;
		if (k < 0) {
			diag_warn("protocol error: the server sent %s", s->bs.why);
			return LR_EXIT_PROTOCOL;
		}
		line_reader_take(&s->lr, used);
		code = handle_record(s, &it);
		if (code >= 0)
			return code;
	}
}

/* Waits for the socket to be readable. Returns -1 when it is, or
 * LR_EXIT_OK when a stop signal came first. Without a signalfd the read
 * itself blocks, so there is nothing to wait for here, unless memlogd is
 * to be looked at meanwhile: whether it is back (follow_check_back()). */
static int wait_readable(struct session *s)
{
	struct pollfd p[2] = {
		{ .fd = s->sock, .events = POLLIN },
		{ .fd = s->sigfd, .events = POLLIN }, /* ignored when -1 */
	};

	for (;;) {
		uint64_t at = s->follow ? reconn_deadline(&s->rc) : UINT64_MAX;
		uint64_t now = now_mono_ms();
		int n;

		if (s->sigfd < 0 && at == UINT64_MAX)
			return -1;
		n = poll(p, 2, at == UINT64_MAX ? -1 : at <= now ? 0 :
			 (int)MIN(at - now, 60000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1; /* let read() report */
		if (p[1].revents) {
			consume_signal(s);
			return LR_EXIT_OK;
		}
		if (n > 0)
			return -1;
		follow_check_back(s, false);
	}
}

static int read_more(struct session *s)
{
	ssize_t n = line_reader_fill(&s->lr);

	if (n == -ENOMEM) {
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	if (n < 0 && s->follow)
		return follow_reconnect(s, (int)n);
	if (n < 0) {
		diag_warn_err((int)n, "cannot read from the server");
		return LR_EXIT_RUNTIME;
	}
	if (n > 0 && s->follow)
		follow_check_back(s, true);
	return -1;
}

static int too_long(void)
{
	diag_warn("protocol error: the server sent a line longer than %u MiB",
		  LINE_READER_MAX >> 20);
	return LR_EXIT_PROTOCOL;
}

int session_entries(struct session *s)
{
	int code = -1;

	while (code < 0) {
		const char *line;
		size_t len;
		int r = 0;

		if (s->detect)
			detect(s);
		if (s->binary)
			code = take_records(s);
		else
			while (code < 0 &&
			       (r = line_reader_next(&s->lr, &line, &len)) == 1)
				code = handle_line(s, line, len);
		if (code >= 0)
			break;
		if (r < 0) {
			code = too_long();
			break;
		}
		if (s->lr.eof && !s->follow) {
			size_t left;
			line_reader_data(&s->lr, &left);
			if (s->binary && left) {
				diag_warn("protocol error: the server's answer "
					  "ends inside a record");
				code = LR_EXIT_PROTOCOL;
				break;
			}
			code = LR_EXIT_OK;
			break;
		}
		/* Nothing may sit in the buffer while we wait: in follow
		 * mode the next entry may be hours away, or memlogd. */
		code = flush(s);
		if (code >= 0)
			break;
		if (s->lr.eof) {
			code = follow_reconnect(s, 0);
			continue;
		}
		code = wait_readable(s);
		if (code < 0)
			code = read_more(s);
	}

	/* However the session ended, print what was received (unless the
	 * output itself failed) so that the saved cursor covers it. */
	if (!s->output_dead) {
		int r = output_finish(&s->out, s->sigfd);
		if (r < 0) {
			int c = output_error(s, r);
			if (code == LR_EXIT_OK)
				code = c;
		} else {
			mark_written(s);
		}
	}
	return code;
}

int session_unsent(struct session *s, int send_err, const char *path)
{
	const char *line;
	size_t len;
	ssize_t n;

	/* The server wrote its answer before it closed, and on a unix
	 * socket what it wrote is in our receive queue by then: read it
	 * without waiting. */
	if (fd_set_nonblock(s->sock) == 0) {
		do
			n = line_reader_fill(&s->lr);
		while (n > 0 && s->lr.end - s->lr.start <= REPLY_ERR_MAX * 16);
	}
	if (line_reader_next(&s->lr, &line, &len) == 1) {
		struct reply_field error;
		char err[REPLY_ERR_MAX];
		json_t *root = NULL;

		if (reply_parse(line, len, &root, &error, err) ==
		    REPLY_SERVER_ERROR) {
			int code = server_error(s, error);
			json_decref(root);
			return code;
		}
		json_decref(root);
	}
	diag_warn_err(send_err, "cannot send the request to %s", path);
	return LR_EXIT_CONNECT;
}

int session_stats(struct session *s)
{
	struct reply_field error;
	char err[REPLY_ERR_MAX];
	json_t *root = NULL;
	const char *text;
	size_t len;
	int code = -1, r;

	while (!s->lr.eof && code < 0) {
		if (s->lr.end - s->lr.start > s->lr.max)
			return too_long();
		code = read_more(s);
	}
	if (code >= 0)
		return code;
	text = s->lr.buf + s->lr.start;
	len = s->lr.end - s->lr.start;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	r = reply_parse(text, len, &root, &error, err);
	if (r == REPLY_SERVER_ERROR) {
		say_server_error(error);
		json_decref(root);
		return LR_EXIT_PROTOCOL;
	}
	if (r < 0) {
		json_decref(root);
		diag_warn("protocol error: the server sent %s", err);
		return LR_EXIT_PROTOCOL;
	}
	/* A summary for a person on a terminal; the server's JSON as it
	 * came for -o json and for anything but a terminal (scripts). */
	char *alt = NULL;
	size_t alen = 0;
	if (s->out.format == OUT_PROMETHEUS)
		alt = statsfmt_prometheus(root, &alen);
	else if (s->out.format == OUT_LEGACY && s->out.escape)
		alt = statsfmt_summary(root, s->stats_oldest_ns,
				       now_realtime_ns(), &alen);
	json_decref(root);
	if ((s->out.format == OUT_PROMETHEUS ||
	     (s->out.format == OUT_LEGACY && s->out.escape)) && !alt) {
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	if (alt) {
		r = output_bytes(&s->out, alt, alen);
		free(alt);
		if (r < 0) {
			diag_warn("out of memory");
			return LR_EXIT_RUNTIME;
		}
	} else if (output_bytes(&s->out, text, len) < 0 ||
		   output_bytes(&s->out, "\n", 1) < 0) {
		diag_warn("out of memory");
		return LR_EXIT_RUNTIME;
	}
	r = output_flush(&s->out, s->sigfd);
	return r < 0 ? output_error(s, r) : LR_EXIT_OK;
}
