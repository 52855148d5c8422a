/* A stand-in for systemd's side of --fd-store: a notify socket (point
 * NOTIFY_SOCKET at path) that keeps what memlogd sends as systemd does:
 * FDSTORE=1 adds the message's fds under its FDNAME, FDSTOREREMOVE=1
 * closes every fd of that name. A test starts memlogd again with what it
 * holds (LISTEN_FDS, LISTEN_FDNAMES). */
#ifndef MEMLOG_TEST_FDMGR_H
#define MEMLOG_TEST_FDMGR_H

#include <stdbool.h>

#define FDMGR_MAX 32

struct fdmgr {
	int sock;
	char path[160];
	char names[FDMGR_MAX][256];
	int fds[FDMGR_MAX];
	int n;
	bool overflow;           /* more than FDMGR_MAX fds were stored */
	char removed[FDMGR_MAX][256]; /* names of FDSTOREREMOVE, in order */
	int nremoved;
	int odd;                 /* FDSTORE=1 without FDNAME or fds,
				  * FDSTOREREMOVE=1 without FDNAME or with
				  * fds: never what systemd is to get */
};

/* Its socket at DIR/notify.sock. */
void fdmgr_init(struct fdmgr *g, const char *dir);

/* Handles one datagram if one comes within timeout_ms (0: only one that
 * is there); false when none did. */
bool fdmgr_poll(struct fdmgr *g, int timeout_ms);

/* Handles every datagram waiting now. */
void fdmgr_drain(struct fdmgr *g);

/* Reads until it holds exactly want fds: false if it does not within
 * H_TIMEOUT_MS. */
bool fdmgr_wait_held(struct fdmgr *g, int want);

/* Whether name was removed (FDSTOREREMOVE), waiting up to wait_ms. */
bool fdmgr_was_removed(struct fdmgr *g, const char *name, int wait_ms);

/* Closes what it holds and its socket. */
void fdmgr_free(struct fdmgr *g);

#endif
