#include "kctr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void kc_init(struct kctr *k)
{
	memset(k, 0, sizeof(*k));
	k->kmsg = -1;
	mld_init(&k->m);
}

void kc_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

void kc_prepare(struct kctr *k, const char *tag, const char *src)
{
	char line[1024];

	h_need_root("runc containers and /dev/kmsg need root");
	if (access(KC_RUNC, X_OK) || access("/bin/busybox", X_OK) ||
	    !h_prog_exists("memlog-runc")) {
		print_message("# needs " KC_RUNC ", /bin/busybox and memlog-runc; "
			      "skipping\n");
		skip();
	}
	k->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->kmsg < 0) {
		print_message("# /dev/kmsg: %s; skipping\n", strerror(errno));
		skip();
	}
	lseek(k->kmsg, 0, SEEK_END);
	snprintf(k->dir, sizeof(k->dir), "/tmp/memlog-itest-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(k->dir));
	snprintf(k->segv, sizeof(k->segv), "%s%d", tag, (int)(getpid() % 100000));
	snprintf(k->id_a, sizeof(k->id_a), "memlog-%s-%d-a", tag, (int)getpid());
	snprintf(k->id_b, sizeof(k->id_b), "memlog-%s-%d-b", tag, (int)getpid());
	snprintf(line, sizeof(line), "%s/segv.c", k->dir);
	h_write_file(line, src, 0644);
	snprintf(line, sizeof(line), "cc -static -O0 -o %s/%s %s/segv.c "
		 "2>/dev/null", k->dir, k->segv, k->dir);
	if (system(line) != 0) {
		print_message("# cannot build a static program with cc; "
			      "skipping\n");
		skip();
	}
	char *tr = h_read_file("/proc/sys/debug/exception-trace", NULL);
	assert_non_null(tr);
	snprintf(k->trace, sizeof(k->trace), "%s", tr);
	free(tr);
	h_write_file("/proc/sys/debug/exception-trace", "1\n", 0644);
	char *rl = h_read_file("/proc/sys/kernel/printk_ratelimit", NULL);
	if (rl) {
		snprintf(k->ratelimit, sizeof(k->ratelimit), "%s", rl);
		free(rl);
		h_write_file("/proc/sys/kernel/printk_ratelimit", "0\n", 0644);
	}
}

void kc_teardown_containers(struct kctr *k)
{
	char cmd[1024];

	if (k->m.pid)
		kill(k->m.pid, SIGCONT);
	if (k->dir[0]) {
		/* Containers a failed test left: killed and deleted. */
		snprintf(cmd, sizeof(cmd), KC_RUNC " --root %s/runc kill %s KILL 2>/dev/null;"
			 KC_RUNC " --root %s/runc kill %s KILL 2>/dev/null;"
			 KC_RUNC " --root %s/runc delete -f %s 2>/dev/null;"
			 KC_RUNC " --root %s/runc delete -f %s 2>/dev/null", k->dir,
			 k->id_a, k->dir, k->id_b, k->dir, k->id_a, k->dir, k->id_b);
		if (system(cmd)) {
		}
	}
	pid_t *runs[] = { &k->run_a, &k->run_b };
	for (size_t i = 0; i < 2; i++)
		if (*runs[i] > 0) {
			kill(*runs[i], SIGKILL);
			waitpid(*runs[i], NULL, 0);
			*runs[i] = 0;
		}
}

void kc_teardown(struct kctr *k)
{
	if (k->trace[0])
		h_write_file("/proc/sys/debug/exception-trace", k->trace, 0644);
	if (k->ratelimit[0])
		h_write_file("/proc/sys/kernel/printk_ratelimit", k->ratelimit,
			     0644);
	kc_teardown_containers(k);
	if (k->kmsg >= 0)
		close(k->kmsg);
	k->kmsg = -1;
	if (k->dir[0])
		h_rmtree(k->dir);
}

void kc_kmsg_wait(struct kctr *k, const char *prefix, char *out, size_t cap)
{
	uint64_t deadline = h_now_ms() + KC_WAIT_MS;
	char buf[8192];

	for (;;) {
		ssize_t n = read(k->kmsg, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int64_t left = (int64_t)(deadline - h_now_ms());
			if (left <= 0)
				fail_msg("no kernel record \"%s...\" within %d ms",
					 prefix, KC_WAIT_MS);
			struct pollfd p = { k->kmsg, POLLIN, 0 };
			poll(&p, 1, (int)left);
			continue;
		}
		if (n <= 0)
			fail_msg("read /dev/kmsg: %s", strerror(errno));
		buf[n] = '\0';
		char *semi = strchr(buf, ';'), *nl;
		if (!semi || atoi(buf) >= 8)
			continue;
		if ((nl = strchr(semi, '\n')))
			*nl = '\0';
		if (!strncmp(semi + 1, prefix, strlen(prefix))) {
			/* PRI,SEQ,USEC,FLAGS;MESSAGE */
			const char *c = strchr(buf, ',');
			c = c ? strchr(c + 1, ',') : NULL;
			k->kmsg_usec = c ? strtoull(c + 1, NULL, 10) : 0;
			snprintf(out, cap, "%s", semi + 1);
			return;
		}
	}
}

void kc_wait_clock(struct kctr *k)
{
	uint64_t deadline = h_now_ms() + KC_WAIT_MS;
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open /dev/kmsg for writing: %s", strerror(errno));
	h_writef(fd, "<6>memlog-test %d: the kernel log's clock\n", (int)getpid());
	close(fd);
	for (;;) {
		json_t *st = h_stats(&k->m);
		json_t *off = json_object_get(json_object_get(st, "kmsg"),
					      "clock_offset_us");
		bool known = json_is_integer(off);
		json_decref(st);
		if (known)
			return;
		if (h_now_ms() > deadline)
			fail_msg("memlogd never knew the kernel log's clock");
		h_sleep_ms(20);
	}
}

json_t *kc_bundle(const struct kctr *k, const char *name, const char *script)
{
	char cfg[256];

	kc_sh("set -e; d=%s/%s; mkdir -p $d/rootfs/bin $d/rootfs/tmp;"
	      " cp /bin/busybox $d/rootfs/bin/;"
	      " for a in sh cat dd echo; do ln -sf busybox $d/rootfs/bin/$a; done;"
	      " cp %s/%s $d/rootfs/bin/;"
	      " mkfifo $d/rootfs/f1 $d/rootfs/f2 $d/rootfs/f3;"
	      " cd $d && " KC_RUNC " spec", k->dir, name, k->dir, k->segv);
	snprintf(cfg, sizeof(cfg), "%s/%s/config.json", k->dir, name);
	json_error_t err;
	json_t *c = json_load_file(cfg, 0, &err);
	assert_non_null(c);
	json_t *proc = json_object_get(c, "process");
	json_object_set_new(proc, "terminal", json_false());
	json_object_set_new(proc, "args", json_pack("[sss]", "sh", "-c", script));
	json_object_set_new(json_object_get(c, "root"), "readonly", json_false());
	return c;
}

void kc_bundle_save(const struct kctr *k, const char *name, json_t *config)
{
	char cfg[256];

	snprintf(cfg, sizeof(cfg), "%s/%s/config.json", k->dir, name);
	assert_int_equal(json_dump_file(config, cfg, 0), 0);
	json_decref(config);
}

pid_t kc_run(struct kctr *k, const char *name, const char *id,
	     const char *const *extra)
{
	char b[128], root[128], err[128], prog[256], views[160];
	const char *argv[24];
	int n = 0;

	snprintf(b, sizeof(b), "%s/%s", k->dir, name);
	snprintf(root, sizeof(root), "%s/runc", k->dir);
	snprintf(err, sizeof(err), "%s/%s.err", k->dir, name);
	snprintf(views, sizeof(views), "%s/views", k->m.dir);
	h_prog(prog, sizeof(prog), "memlog-runc");
	const char *const head[] = { prog, "--memlog-runtime", KC_RUNC,
				     "--memlog-socket", k->m.log,
				     "--memlog-view-dir", views };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[n++] = head[i];
	for (; extra && *extra && n < 16; extra++)
		argv[n++] = *extra;
	const char *const tail[] = { "--root", root, "run", "--bundle", b, id,
				     NULL };
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		argv[n++] = tail[i];
	return h_spawn(argv, err, true);
}

int kc_fifo_writer(const struct kctr *k, const char *name, const char *f)
{
	char path[160];
	uint64_t deadline = h_now_ms() + KC_WAIT_MS;
	unsigned ms = 1;

	snprintf(path, sizeof(path), "%s/%s/rootfs/%s", k->dir, name, f);
	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENXIO || h_now_ms() > deadline)
			fail_msg("open %s: %s", path, strerror(errno));
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
}
