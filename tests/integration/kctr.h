/* Two runc containers started through memlog-runc, for the tests of the
 * kernel log per container (itest_kattr, itest_kmsgfs): a scratch
 * directory, a static program that segfaults (its name is its comm), the
 * test's own reader of /dev/kmsg, debug.exception-trace set to 1 and
 * restored, bundles of busybox with FIFOs the test writes commands into,
 * and the teardown of what a failed test left. */
#ifndef MEMLOG_ITEST_KCTR_H
#define MEMLOG_ITEST_KCTR_H

#include "harness.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define KC_RUNC "/usr/sbin/runc"
#define KC_WAIT_MS 20000

struct kctr {
	struct mld m;
	char dir[64];
	char segv[32];          /* the segfault program's name (its comm) */
	char id_a[48], id_b[48];
	int kmsg;               /* the test's own reader of /dev/kmsg */
	uint64_t kmsg_usec;     /* the stamp of the record kc_kmsg_wait
				 * found last (printk's clock) */
	char trace[8];          /* debug.exception-trace before, or "" */
	char ratelimit[16];     /* kernel.printk_ratelimit before, or "" */
	pid_t run_a, run_b;     /* memlog-runc run */
};

/* Before a test: nothing made yet (kmsg -1, memlogd's dir chosen). */
void kc_init(struct kctr *k);

/* Skips the test with the reason unless root, runc, busybox, memlog-runc
 * and /dev/kmsg are there and cc builds the test's program (C source src,
 * static); then makes the directory, the ids (TAG in them) and the
 * program, named TAG and a number (its comm), reads /dev/kmsg from its
 * end, sets debug.exception-trace to 1 (segfaults are printed only then)
 * and kernel.printk_ratelimit to 0 (a segfault's line goes through the
 * kernel's one global printk_ratelimit(): ten such lines of anything in 5
 * s, and the next segfault is not printed at all). */
void kc_prepare(struct kctr *k, const char *tag, const char *src);

/* After a test: exception-trace restored, the containers killed and
 * deleted, memlog-runc reaped, /dev/kmsg closed, the directory removed
 * (memlogd is the caller's). */
void kc_teardown(struct kctr *k);

/* The first part of kc_teardown: the containers killed and deleted,
 * memlog-runc reaped (for a test that must unmount what they used). */
void kc_teardown_containers(struct kctr *k);

/* A shell command that must succeed. */
void kc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Once memlogd (--kmsg) has read the kernel's backlog and one record as
 * it came, it knows the kernel log's clock (stats kmsg.clock_offset_us),
 * without which it attributes nothing by pid (kclock.h): a line written
 * to /dev/kmsg, then waited for there. Events a test makes after this are
 * attributed; before it, only if memlogd happened to be waiting. */
void kc_wait_clock(struct kctr *k);

/* The next facility-0 kernel record (after kc_prepare) whose text starts
 * with prefix, within KC_WAIT_MS; its text into out. */
void kc_kmsg_wait(struct kctr *k, const char *prefix, char *out, size_t cap);

/* Bundle DIR/NAME: busybox (sh cat dd echo), the segfault program, FIFOs
 * f1 f2 f3, `runc spec` with script as sh -c's and a writable root.
 * Returns its config.json for the caller to add to; kc_bundle_save
 * writes it back. */
json_t *kc_bundle(const struct kctr *k, const char *name, const char *script);
void kc_bundle_save(const struct kctr *k, const char *name, json_t *config);

/* memlog-runc run of bundle DIR/NAME as container id, with memlogd's
 * socket and view dir; extra: more memlog-runc options before runc's
 * (NULL-terminated, or NULL). */
pid_t kc_run(struct kctr *k, const char *name, const char *id,
	     const char *const *extra);

/* Opens FIFO f of bundle name for writing once its reader (a container's
 * cat) has it open, within KC_WAIT_MS. */
int kc_fifo_writer(const struct kctr *k, const char *name, const char *f);

#endif
