/* sustain: the writers of bench/sustained.sh. Registers K pipes with
 * memlogd (source "sus-K.out", as LinuxKit init does: the read end in one
 * SOCK_DGRAM datagram) and writes RATE lines/s in all for SECONDS
 * seconds: every millisecond the lines due by then, spread round-robin
 * over the sources, one write() per source and millisecond. Line j of
 * source k reads "sKKKK iIIIIIIIIII " then filler up to L-1 bytes and
 * "\n", so that the checker can tell every line apart and see its order.
 * Writes block: a memlogd that cannot keep up slows the writer down, and
 * the achieved rate says so.
 *
 *   sustain -r REGSOCK -k K -R RATE -T SECONDS [-l L]
 *
 * Prints "lines=N seconds=S rate=R late_ms=M" (late_ms: milliseconds the
 * writer ended behind its schedule) and one "source=sus-K.out lines=N"
 * line per source. */
#include "bench.h"

#include <inttypes.h>

static void fmt_line(char *p, int L, int k, uint64_t j)
{
	p[0] = 's';
	put_digits(p + 1, (uint64_t)k, 4);
	p[5] = ' ';
	p[6] = 'i';
	put_digits(p + 7, j, 11);
	p[18] = ' ';
	memset(p + 19, 'x', (size_t)L - 20);
	p[L - 1] = '\n';
}

int main(int argc, char **argv)
{
	const char *reg = NULL;
	int K = 100, L = 64, opt;
	uint64_t rate = 1000000, secs = 30;

	while ((opt = getopt(argc, argv, "r:k:R:T:l:")) != -1) {
		switch (opt) {
		case 'r': reg = optarg; break;
		case 'k': K = atoi(optarg); break;
		case 'R': rate = strtoull(optarg, NULL, 10); break;
		case 'T': secs = strtoull(optarg, NULL, 10); break;
		case 'l': L = atoi(optarg); break;
		default: die("usage: sustain -r REGSOCK -k K -R RATE -T SECONDS [-l L]");
		}
	}
	if (!reg || K < 1 || K > 9999 || L < 24 || L > 4096 || !rate || !secs)
		die("usage: sustain -r REGSOCK -k K -R RATE -T SECONDS [-l L]");
	raise_nofile();

	int sock = reg_connect(reg);
	if (sock < 0)
		die("connect %s: %s", reg, strerror(-sock));
	int *fds = calloc((size_t)K, sizeof(int));
	uint64_t *next = calloc((size_t)K, sizeof(uint64_t));
	/* at most this many lines per source and millisecond */
	size_t per = (size_t)(rate / 1000 / (uint64_t)K + 2);
	char *buf = malloc(per * (size_t)L);
	if (!fds || !next || !buf)
		die("out of memory");
	for (int k = 0; k < K; k++) {
		int p[2];
		char name[32];

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe:");
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
		snprintf(name, sizeof(name), "sus-%d.out", k);
		int r = send_fd(sock, NULL, 0, p[0], name);
		if (r < 0)
			die("register %s: %s", name, strerror(-r));
		close(p[0]);
		fds[k] = p[1];
	}
	/* Let memlogd take them all in before the clock starts. */
	sleep_ns(500000000);

	uint64_t total = rate * secs, done = 0, t0 = mono_ns();
	int k = 0;
	while (done < total) {
		uint64_t el = mono_ns() - t0;
		uint64_t due = rate * (el / 1000000 + 1) / 1000;

		if (due > total)
			due = total;
		if (done >= due) {
			sleep_ns(1000000 - el % 1000000);
			continue;
		}
		/* the lines due, round-robin: n each to the sources in turn */
		uint64_t want = due - done;
		while (want) {
			uint64_t n = want / (uint64_t)K + 1;
			if (n > per)
				n = per;
			if (n > want)
				n = want;
			for (uint64_t i = 0; i < n; i++)
				fmt_line(buf + i * (size_t)L, L, k, next[k] + i);
			if (write_all(fds[k], buf, (size_t)n * (size_t)L) < 0)
				die("write to sus-%d:", k);
			next[k] += n;
			want -= n;
			done += n;
			k = (k + 1) % K;
		}
	}
	uint64_t t1 = mono_ns();
	double s = (double)(t1 - t0) / 1e9;
	printf("lines=%" PRIu64 " seconds=%.3f rate=%.0f late_ms=%.0f\n", done, s,
	       (double)done / s, s * 1000 - (double)secs * 1000 > 0 ?
	       s * 1000 - (double)secs * 1000 : 0);
	for (int i = 0; i < K; i++) {
		printf("source=sus-%d.out lines=%" PRIu64 "\n", i, next[i]);
		close(fds[i]);
	}
	return 0;
}
