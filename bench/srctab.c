/* srctab: what memlogd's source table costs (issue 18, item 18). Against a
 * running memlogd (pid PID, serving syslog on SYSLOG and registrations on
 * REG, queries on QUERY):
 *
 *   srctab -p PID -y SYSLOG -r REG -q QUERY [-f FILL] [-n NEW] [-R REGS]
 *
 *   1. FILL syslog messages with distinct tags ("fill000000"...), so the
 *      table holds FILL names (each stays live: its entry is in the ring,
 *      which must be large enough);
 *   2. NEW messages with tags not seen before ("new000000"...): memlogd's
 *      CPU time for them, divided by NEW, is the cost of a message whose
 *      tag is new;
 *   3. REGS registrations of a pipe each under a new name ("reg000000"...),
 *      their write ends kept open: memlogd's CPU time divided by REGS is
 *      the cost of one registration.
 *
 * CPU time is memlogd's on-CPU time from /proc/PID/schedstat, read before
 * a phase's first send and once memlogd is idle again after its last (no
 * query inside the measured window; its once-a-second tick is in it).
 * Each phase is checked afterwards, untimed: the last message stored, every
 * registration accepted. Prints one line of key=value results. */
#include "bench.h"

static pid_t pid;

/* Waits until memlogd has sat in its loop for 30 ms: its CPU time
 * unchanged over three reads 10 ms apart, and asleep. Returns that CPU
 * time. */
static uint64_t idle_cpu(void)
{
	uint64_t last = 0, now = 0;
	int stable = 0;
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		if (proc_sched_ns(pid, &now) < 0)
			die("reading memlogd's schedstat");
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			die("reading %s", path);
		buf[n] = 0;
		char *p = strrchr(buf, ')');
		bool asleep = p && p[1] == ' ' && p[2] == 'S';
		stable = asleep && now == last ? stable + 1 : 0;
		if (stable == 3)
			return now;
		last = now;
		sleep_ns(10 * 1000000ull);
	}
}

/* Sends n syslog messages "<13>PREFIXnnnnnn: m" with distinct tags. */
static void send_tags(const char *sock, const char *prefix, int n)
{
	struct sockaddr_un sa;
	socklen_t sl = unix_addr(&sa, sock);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char msg[64];

	if (fd < 0)
		die("socket");
	for (int i = 0; i < n; i++) {
		int l = snprintf(msg, sizeof(msg), "<13>%s%06d: m", prefix, i);
		/* Blocking: when memlogd's queue is full this waits for it. */
		while (sendto(fd, msg, (size_t)l, 0, (struct sockaddr *)&sa,
			      sl) < 0)
			if (errno != EINTR)
				die("send to %s", sock);
	}
	close(fd);
}

/* The entry of tag PREFIXnnnnnn (n - 1) is in the ring. */
static void check_stored(const char *query, const char *prefix, int n)
{
	char req[96];
	int l = snprintf(req, sizeof(req), "dump source=%s%06d\n", prefix, n - 1);
	char *a = query_all(query, req, (size_t)l, NULL, 30000);

	if (!a || !strstr(a, "\"msg\":\"m\""))
		die("the last %s message is not stored: %.200s", prefix,
		    a ? a : "(no answer)");
	free(a);
}

int main(int argc, char **argv)
{
	const char *sys = NULL, *reg = NULL, *query = NULL;
	int fill = 40000, nnew = 10000, nreg = 2000, c;

	while ((c = getopt(argc, argv, "p:y:r:q:f:n:R:")) != -1) {
		switch (c) {
		case 'p': pid = (pid_t)atoi(optarg); break;
		case 'y': sys = optarg; break;
		case 'r': reg = optarg; break;
		case 'q': query = optarg; break;
		case 'f': fill = atoi(optarg); break;
		case 'n': nnew = atoi(optarg); break;
		case 'R': nreg = atoi(optarg); break;
		default: die("usage: srctab -p PID -y SYSLOG -r REG -q QUERY "
			     "[-f FILL] [-n NEW] [-R REGS]");
		}
	}
	if (pid <= 0 || !sys || !reg || !query || fill < 0 || nnew <= 0 ||
	    nreg <= 0)
		die("usage: srctab -p PID -y SYSLOG -r REG -q QUERY [-f FILL] "
		    "[-n NEW] [-R REGS]");
	raise_nofile();

	if (fill > 0) {
		send_tags(sys, "fill", fill);
		idle_cpu();
		check_stored(query, "fill", fill);
	}

	uint64_t c0 = idle_cpu();
	send_tags(sys, "new", nnew);
	uint64_t c1 = idle_cpu();
	check_stored(query, "new", nnew);

	int *w = malloc((size_t)nreg * sizeof(int));
	int rs = reg_connect(reg);
	if (!w || rs < 0)
		die("registration socket %s", reg);
	uint64_t r0 = idle_cpu();
	for (int i = 0; i < nreg; i++) {
		int p[2];
		char name[32];
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		snprintf(name, sizeof(name), "reg%06d", i);
		if (send_fd(rs, NULL, 0, p[0], name) < 0)
			die("registration %d", i);
		close(p[0]);
		w[i] = p[1];
	}
	uint64_t r1 = idle_cpu();
	char *st = query_all(query, "stats\n", 6, NULL, 30000);
	char want[64];
	snprintf(want, sizeof(want), "\"accepted\":%d,", nreg);
	if (!st || !strstr(st, want))
		die("not every registration was accepted: %.300s",
		    st ? st : "(no answer)");
	free(st);
	for (int i = 0; i < nreg; i++)
		close(w[i]);
	free(w);
	close(rs);
	idle_cpu();

	printf("fill=%d new=%d new_tag_us=%.2f regs=%d registration_us=%.2f\n",
	       fill, nnew, (double)(c1 - c0) / nnew / 1000.0, nreg,
	       (double)(r1 - r0) / nreg / 1000.0);
	return 0;
}
