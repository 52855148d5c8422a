/* One query: reading the server's answer after the request was sent,
 * printing it, and keeping track of the cursor to resume from. */
#ifndef LOGREAD_SESSION_H
#define LOGREAD_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "backoff.h"
#include "binstream.h"
#include "linereader.h"
#include "output.h"
#include "reconn.h"
#include "request.h"

/* logread's exit codes. */
enum logread_exit {
	LR_EXIT_OK = 0,       /* done; also a stop by signal or by a closed pipe */
	LR_EXIT_RUNTIME = 1,  /* e.g. writing the output failed */
	LR_EXIT_USAGE = 2,
	LR_EXIT_CONNECT = 3,  /* the socket could not be reached */
	LR_EXIT_PROTOCOL = 4, /* unreadable answer, or an error from the server */
	LR_EXIT_CURSOR = 5,   /* the cursor file could not be read or written */
};

struct session {
	int sock;                 /* connected query socket */
	int sigfd;                /* signalfd (non-blocking) of the stop
				   * signals, or -1 */
	struct line_reader lr;    /* the server's lines */
	struct output out;        /* what is printed */
	uint64_t stats_oldest_ns; /* --stats summary: the oldest entry's
				   * time, 0 if unknown */
	char pending[CURSOR_TEXT_MAX + 1]; /* cursor of the last entry buffered */
	size_t pending_len;       /* 0: none yet */
	bool binary;              /* the answer is binary records (binrec.h) */
	bool detect;              /* or JSON lines: its first byte will say
				   * (an upgraded legacy request) */
	struct binstream bs;      /* ... read with this */
	bool pending_bin;         /* pending is (pending_inst, pending_seq),
				   * written out as text only when needed
				   * (session_pending()) */
	uint64_t pending_inst, pending_seq;
	char saved[CURSOR_TEXT_MAX + 1];   /* cursor of the last entry written */
	size_t saved_len;         /* 0: none yet */
	bool output_dead;         /* writing failed: nothing more is printed */
	const char *cursor_file;  /* the request resumes after the cursor
				   * read from this file (NULL: it does not):
				   * the server refusing it is the file's
				   * fault (exit 5), not a protocol error */
	bool follow;              /* -f, -F: a connection that ends is made
				   * again (follow.h) */
	const char *path;         /* the query socket (follow) */
	const struct request *first; /* what was asked first (follow) */
	struct reconn rc;         /* the lost connection said, and its end */
	struct backoff bo;        /* pauses between connection attempts */
};

/* sock and out are the session's from now on; session_free() closes and
 * frees them. */
void session_init(struct session *s, int sock, int sigfd,
		  const struct output *out);
void session_free(struct session *s);

/* What the answer to req on the connection just made will be: binary
 * records (format=binary), JSON lines, or, for LinuxKit's byte with
 * memlog's request for binary records behind it, either: binary records
 * from memlog's memlogd, JSON lines from LinuxKit's (the output is told
 * to print both alike: output.h as_linuxkit). */
void session_expect(struct session *s, const struct request *req);

/* Brings pending up to date (the cursor of the last entry buffered). */
void session_pending(struct session *s);

/* Makes the session follow across lost connections (-f, -F): path is
 * the query socket, first the request sent on it (both kept). */
void session_follow(struct session *s, const char *path,
		    const struct request *first);

/* Takes the new connection sock (closing the old one): what was read on
 * the old one and not printed is forgotten. */
void session_attach(struct session *s, int sock);

/* Prints entries until the server closes the connection (unless the
 * session follows), a stop signal arrives or something fails; messages go
 * to stderr. Returns the exit code. Afterwards saved holds the cursor of the last entry that was
 * written out completely, which is where a later run resumes. */
int session_entries(struct session *s);

/* Sending the request failed with send_err (negative errno): a server that
 * refuses a client (too many clients, a bad or late request) writes its
 * error line and closes, perhaps before the request was sent. Prints that
 * error if the server left one (exit 4, or 5 for a refused cursor file),
 * else the failure to send (exit 3). Never waits. */
int session_unsent(struct session *s, int send_err, const char *path);

/* Reads the whole answer to a stats request and prints it as received. */
int session_stats(struct session *s);

#endif
