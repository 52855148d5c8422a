/* /dev/kmsg records (Documentation/ABI/testing/dev-kmsg):
 *
 *     PRI,SEQ,USEC,FLAGS[,caller=T<tid>|C<cpu>][,MORE...];MESSAGE\n
 *      KEY=VALUE\n            (zero or more dictionary lines)
 *
 * PRI is facility * 8 + level; FLAGS is '-', 'c' (continuation) or '+'.
 * The kernel escapes unprintable bytes of MESSAGE and VALUE as \xNN, so
 * neither holds a newline or a NUL. Pure parser: no I/O. */
#ifndef MEMLOG_KMSG_H
#define MEMLOG_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /dev/kmsg returns EINVAL to a read() buffer smaller than one record. */
#define KMSG_READ_MAX 8193

struct kmsg_record {
	int priority;           /* 0-7 */
	int facility;           /* 0-... (PRI >> 3) */
	uint64_t seq;
	uint64_t usec;          /* kernel timestamp, us since boot */
	char flags;             /* '-', 'c', '+' or another byte as given */
	const char *caller;     /* "T123" (a task) or "C1" (a CPU), from
				 * caller= (CONFIG_PRINTK_CALLER), or NULL */
	size_t caller_len;
	const char *msg;        /* not NUL-terminated */
	size_t msg_len;
	const char *dict;       /* the " KEY=VALUE\n" lines, raw, or NULL */
	size_t dict_len;
};

/* Parses the first record in buf[0..len) and says in *used how many bytes
 * it took (through its last '\n'; the whole input when the final newline is
 * missing). Returns 0, or -EINVAL for a malformed header (then *used still
 * skips to the next line, so a reader can go on). */
int kmsg_parse(const char *buf, size_t len, struct kmsg_record *rec,
	       size_t *used);

/* Iterates the dictionary: sets key/value of the next KEY=VALUE line and
 * advances *pos. Lines without '=' are skipped. Returns false at the end. */
bool kmsg_dict_next(const struct kmsg_record *rec, size_t *pos,
		    const char **kv, size_t *kv_len);

/* The state a reader keeps across restarts: which boot, and the next seq
 * it expects. Text form: "BOOT-ID NEXT-SEQ\n". */
struct kmsg_state {
	char boot_id[37];       /* from /proc/sys/kernel/random/boot_id */
	uint64_t next_seq;
};

int kmsg_state_parse(const char *buf, size_t len, struct kmsg_state *st);
/* Returns the length written to out (cap >= 64). */
size_t kmsg_state_format(char *out, size_t cap, const struct kmsg_state *st);

/* What to do with a record of seq given the next expected one:
 * KMSG_SKIP (already delivered before a restart), KMSG_TAKE (in order),
 * KMSG_GAP (records next..seq-1 were lost: *missed says how many). */
enum kmsg_verdict { KMSG_SKIP, KMSG_TAKE, KMSG_GAP };
enum kmsg_verdict kmsg_check_seq(uint64_t next, uint64_t seq, uint64_t *missed);

#endif
