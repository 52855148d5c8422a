/* Where memlog-init and memlog-journal meet: the fd holder's socket and
 * the keys of what is held under it (docs/memlog-journal.md).
 *
 * memlog-init puts the container's stdout and stderr into the holder
 * before it executes systemd (which closes every inherited fd);
 * memlog-journal takes them back from there, and keeps its own delivery
 * log (two memfds) there too, beside systemd's fd store. The keys are the
 * holder's opaque 64-bit numbers (docs/fdholder.md); these values are part
 * of the interface between the two programs, so they never change. */
#ifndef MEMLOG_INIT_HOLDKEYS_H
#define MEMLOG_INIT_HOLDKEYS_H

#define INIT_HOLDER_SOCKET "/run/memlog/init.holder"

enum init_hold_key {
	INIT_KEY_STDOUT = 1,   /* the container's stdout (memlog-init) */
	INIT_KEY_STDERR = 2,   /* the container's stderr (memlog-init) */
	INIT_KEY_WAL = 3,      /* memlog-journal's formatted lines */
	INIT_KEY_STATE = 4,    /* memlog-journal's commit record */
};

#endif
