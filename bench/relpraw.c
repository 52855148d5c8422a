/* The raw RELP client of bench/forward.sh: what a RELP sender can get
 * from the receiver at all. Opens a RELP session on HOST:PORT, sends N
 * "syslog" frames of MSG (numbered), at most WINDOW unanswered at a time
 * (as librelp's window), reading the receiver's "rsp" frames as they come,
 * then "close". No library: frames are written by hand into large writes,
 * so what it measures is the receiver and the protocol, not a client's
 * per-message cost. Prints the seconds from open to the last answer.
 * Usage: relpraw HOST PORT N WINDOW MSG */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "relpraw: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Counts the complete "rsp" frames in what was read (each ends in a
 * newline after its data; answers here are short and hold none). */
static long answers(const char *p, size_t n, size_t *used)
{
	long k = 0;
	size_t at = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n') {
			k++;
			at = i + 1;
		}
	*used = at;
	return k;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: relpraw HOST PORT N WINDOW MSG\n");
		return 2;
	}
	long n = atol(argv[3]), window = atol(argv[4]);
	const char *msg = argv[5];
	size_t ml = strlen(msg);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || n <= 0 || window <= 0)
		return 2;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	double t0 = now();
	static const char offer[] = "relp_version=0\nrelp_software=relpraw\n"
				    "commands=syslog";
	char head[256];
	int hl = snprintf(head, sizeof(head), "1 open %zu %s\n",
			  sizeof(offer) - 1, offer);
	if (write(fd, head, (size_t)hl) != hl)
		die("write open");
	static char in[1 << 16];
	size_t inl = 0, used;
	long answered = 0, sent = 0;
	/* The open's answer first. */
	while (answered < 1) {
		ssize_t r = read(fd, in + inl, sizeof(in) - inl);
		if (r <= 0)
			die("read open answer");
		inl += (size_t)r;
		if (memchr(in, '\n', inl) && inl > 8) {
			/* "1 rsp LEN 200 OK\nrelp_version=..." spans lines:
			 * wait for the whole data of LEN bytes. */
			char *sp = strchr(in, ' ');
			sp = sp ? strchr(sp + 1, ' ') : NULL;
			long dl = sp ? atol(sp + 1) : -1;
			char *data = sp ? strchr(sp + 1, ' ') : NULL;
			if (dl >= 0 && data && (size_t)(data + 1 + dl - in) < inl) {
				size_t end = (size_t)(data + 1 + dl - in) + 1;
				memmove(in, in + end, inl - end);
				inl -= end;
				answered = 1;
			}
		}
	}
	answered = 0;
	/* One write holds many frames. */
	size_t cap = 1 << 20;
	char *out = malloc(cap);
	if (!out)
		die("malloc");
	long txnr = 2;
	while (answered < n) {
		size_t ol = 0;
		while (sent < n && sent - answered < window && ol + ml + 64 < cap) {
			ol += (size_t)sprintf(out + ol, "%ld syslog %zu ", txnr++, ml);
			memcpy(out + ol, msg, ml);
			ol += ml;
			out[ol++] = '\n';
			sent++;
		}
		for (size_t off = 0; off < ol;) {
			ssize_t w = write(fd, out + off, ol - off);
			if (w < 0 && errno != EINTR)
				die("write");
			off += w > 0 ? (size_t)w : 0;
		}
		ssize_t r = read(fd, in + inl, sizeof(in) - inl);
		if (r <= 0)
			die("read");
		inl += (size_t)r;
		answered += answers(in, inl, &used);
		memmove(in, in + used, inl - used);
		inl -= used;
	}
	double t1 = now();
	hl = snprintf(head, sizeof(head), "%ld close 0\n", txnr);
	if (write(fd, head, (size_t)hl) != hl)
		die("write close");
	close(fd);
	printf("%.6f %ld\n", t1 - t0, answered);
	return 0;
}
