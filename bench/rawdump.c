/* The raw client of bench/clients.sh: connects to memlogd's query socket,
 * sends one request line (or LinuxKit's byte 0 for "0") and reads the
 * answer into nothing until memlogd closes. Prints the seconds from
 * connect to end of file and the bytes read: the most a client of the
 * query socket can get, the baseline of every client figure.
 * Usage: rawdump SOCKET REQUEST */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[1 << 18];
	char req[4200];
	size_t total = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: rawdump SOCKET REQUEST\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	int n = strcmp(argv[2], "0") == 0 ? (req[0] = 0, 1)
		: snprintf(req, sizeof(req), "%s\n", argv[2]);
	double t0 = now();
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, (size_t)n) != n) {
		perror("rawdump");
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		total += (size_t)r;
	}
	printf("%.6f %zu\n", now() - t0, total);
	return 0;
}
