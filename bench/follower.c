/* follower: a minimal `logread -F`. Connects to the query socket, asks for
 * dump-then-follow, throws the entries away (as `logread -F > /dev/null`
 * would) while counting them and adding up the loss markers, and stops once
 * it has accounted for the expected number of entries (received + missed).
 *
 *   follower -q PATH -n EXPECTED [-m v2|legacy] [-L] [-T SECONDS]
 *
 *   -m v2      send "dump-follow\n": entries carry seq, markers carry the exact
 *              "missed" count and seq range (default)
 *   -m legacy  send the byte 2 as LinuxKit's logread -F does; markers are
 *              entries of source "memlogd" whose msg says "N entries were
 *              overwritten"
 *   -L         latency: each msg carries its CLOCK_MONOTONIC send time as
 *              "t" + 20 digits at offset 19 of the msg (loadgen -R); the
 *              receive time is taken when read() returns
 *   -T S       give up after S seconds without data (default 60)
 *
 * Prints one line of key=value results on stdout. Exit 0 if
 * received + missed == expected and, in v2, the seq numbers are contiguous
 * once the markers' ranges are counted; 1 otherwise. */
#include "bench.h"

#define BUFSZ (256u << 10)

struct st {
	bool v2, lat;
	uint64_t entries, missed, markers, unknown_markers, bytes;
	uint64_t first_seq, last_seq, next_seq, seq_gaps;
	uint64_t now;
	uint64_t *lat_ns;
	size_t nlat, caplat;
};

static uint64_t parse_u64(const char *p, const char *end, const char **stop)
{
	uint64_t v = 0;

	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (stop)
		*stop = p;
	return v;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

static void on_line(struct st *s, const char *p, const char *end)
{
	if (s->v2) {
		if (end - p > 10 && !memcmp(p, "{\"marker\":", 10)) {
			const char *m = find(p, end, "\"missed\":");
			s->markers++;
			if (!m) {
				s->unknown_markers++;
				return;
			}
			s->missed += parse_u64(m + 9, end, NULL);
			const char *l = find(p, end, "\"last_seq\":");
			if (l)
				s->next_seq = parse_u64(l + 11, end, NULL) + 1;
			return;
		}
		if (end - p > 7 && !memcmp(p, "{\"seq\":", 7)) {
			uint64_t seq = parse_u64(p + 7, end, NULL);
			if (!s->first_seq)
				s->first_seq = seq;
			else if (seq != s->next_seq)
				s->seq_gaps++;
			s->last_seq = seq;
			s->next_seq = seq + 1;
		}
	} else {
		const char *m = find(p, end, "\"source\":\"memlogd\",\"msg\":\"memlogd: ");
		if (m) {
			const char *stop;
			uint64_t n = parse_u64(m + 35, end, &stop);
			if (stop > m + 35 && find(stop, end, " entries were overwritten")) {
				s->markers++;
				s->missed += n;
				return;
			}
		}
	}
	s->entries++;
	if (s->lat) {
		const char *m = find(p, end, "\"msg\":\"");
		if (m && end - m > 7 + 40 && m[7 + 19] == 't') {
			uint64_t sent = parse_u64(m + 7 + 20, end, NULL);
			if (s->nlat == s->caplat) {
				s->caplat = s->caplat ? 2 * s->caplat : 65536;
				s->lat_ns = realloc(s->lat_ns, s->caplat * sizeof(uint64_t));
				if (!s->lat_ns)
					die("out of memory");
			}
			s->lat_ns[s->nlat++] = s->now > sent ? s->now - sent : 0;
		}
	}
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	const char *qpath = NULL;
	uint64_t expected = 0;
	int timeout_s = 60;
	struct st s = { .v2 = true };
	int opt;

	while ((opt = getopt(argc, argv, "q:n:m:LT:")) != -1) {
		switch (opt) {
		case 'q': qpath = optarg; break;
		case 'n': expected = strtoull(optarg, NULL, 10); break;
		case 'm': s.v2 = strcmp(optarg, "legacy") != 0; break;
		case 'L': s.lat = true; break;
		case 'T': timeout_s = atoi(optarg); break;
		default: die("usage: follower -q PATH -n EXPECTED [-m v2|legacy] [-L] [-T S]");
		}
	}
	if (!qpath || !expected)
		die("usage: follower -q PATH -n EXPECTED [-m v2|legacy] [-L] [-T S]");

	int fd = stream_connect(qpath);
	if (fd < 0) {
		errno = -fd;
		die("connect %s:", qpath);
	}
	if (s.v2) {
		if (write_all(fd, "dump-follow\n", 12) < 0)
			die("write:");
	} else {
		if (write_all(fd, "\2", 1) < 0)
			die("write:");
	}

	char *buf = malloc(BUFSZ);
	size_t have = 0;
	int timed_out = 0, closed = 0;
	if (!buf)
		die("out of memory");
	while (s.entries + s.missed < expected) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, timeout_s * 1000);
		if (pr == 0) {
			timed_out = 1;
			break;
		}
		if (pr < 0)
			continue;
		ssize_t n = read(fd, buf + have, BUFSZ - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			closed = 1;
			break;
		}
		if (s.lat)
			s.now = mono_ns();
		s.bytes += (uint64_t)n;
		have += (size_t)n;
		char *p = buf, *end = buf + have;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			on_line(&s, p, nl);
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have == BUFSZ)
			die("an entry longer than %u bytes", BUFSZ);
		memmove(buf, p, have);
	}
	close(fd);

	bool exact = s.entries + s.missed == expected && !s.seq_gaps &&
		     !s.unknown_markers;
	printf("f_entries=%llu f_missed=%llu f_markers=%llu f_seq_first=%llu "
	       "f_seq_last=%llu f_seq_gaps=%llu f_bytes=%llu f_timeout=%d "
	       "f_closed=%d f_exact=%d",
	       (unsigned long long)s.entries, (unsigned long long)s.missed,
	       (unsigned long long)s.markers, (unsigned long long)s.first_seq,
	       (unsigned long long)s.last_seq, (unsigned long long)s.seq_gaps,
	       (unsigned long long)s.bytes, timed_out, closed, exact);
	if (s.lat) {
		qsort(s.lat_ns, s.nlat, sizeof(uint64_t), cmp_u64);
		printf(" lat_n=%zu lat_p50_us=%.1f lat_p99_us=%.1f lat_max_us=%.1f",
		       s.nlat, pct(s.lat_ns, s.nlat, 0.50) / 1e3,
		       pct(s.lat_ns, s.nlat, 0.99) / 1e3,
		       s.nlat ? s.lat_ns[s.nlat - 1] / 1e3 : 0.0);
	}
	printf("\n");
	return exact ? 0 : 1;
}
