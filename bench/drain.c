/* drain: the physical limit. A minimal receiver that binds a registration
 * socket of the same kind as memlogd's (SOCK_DGRAM, fds in SCM_RIGHTS),
 * accepts the fds the same way and only read()s them into one 128 KiB buffer,
 * driven by a level-triggered epoll loop: the same reads memlogd does (at
 * most four per source per turn, a short read ends the turn), and nothing
 * else. The load generator measures memlogd against this in the same run.
 *
 *   drain -socket-log PATH -socket-query PATH
 *
 * The query socket answers any connection with one line
 * "bytes=B sources=K open=O eof=E\n" and closes, so the load generator can
 * check that every byte arrived. SIGTERM/SIGINT stop it. */
#include "bench.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>

#define READBUF (128u << 10)
#define READS_PER_TURN 4

static int bind_sock(const char *path, int type)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, path);
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket:");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		die("bind %s:", path);
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		die("listen:");
	return fd;
}

int main(int argc, char **argv)
{
	const char *regpath = NULL, *qpath = NULL;
	static char buf[READBUF];
	unsigned long long bytes = 0, sources = 0, open_fds = 0, eofs = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-socket-log") && i + 1 < argc)
			regpath = argv[++i];
		else if (!strcmp(argv[i], "-socket-query") && i + 1 < argc)
			qpath = argv[++i];
		else
			die("usage: drain -socket-log PATH -socket-query PATH");
	}
	if (!regpath || !qpath)
		die("usage: drain -socket-log PATH -socket-query PATH");
	raise_nofile();

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	int reg = bind_sock(regpath, SOCK_DGRAM);
	int q = bind_sock(qpath, SOCK_STREAM);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0)
		die("signalfd/epoll:");
	int ctl[] = { reg, q, sfd };
	for (size_t i = 0; i < 3; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.fd = ctl[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl[i], &e) < 0)
			die("epoll_ctl:");
	}

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait:");
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd) {
				goto out;
			} else if (fd == reg) {
				for (int k = 0; k < 64; k++) {
					char name[4096];
					union {
						char b[CMSG_SPACE(253 * sizeof(int))];
						struct cmsghdr align;
					} cbuf;
					struct iovec iov = { name, sizeof(name) };
					struct msghdr mh = {
						.msg_iov = &iov, .msg_iovlen = 1,
						.msg_control = cbuf.b,
						.msg_controllen = sizeof(cbuf.b),
					};
					if (recvmsg(reg, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
						break;
					for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
					     c = CMSG_NXTHDR(&mh, c)) {
						if (c->cmsg_level != SOL_SOCKET ||
						    c->cmsg_type != SCM_RIGHTS)
							continue;
						size_t nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
						for (size_t j = 0; j < nf; j++) {
							int sfdn;
							memcpy(&sfdn, CMSG_DATA(c) + j * sizeof(int),
							       sizeof(int));
							int fl = fcntl(sfdn, F_GETFL);
							fcntl(sfdn, F_SETFL, fl | O_NONBLOCK);
							struct epoll_event e = {
								.events = EPOLLIN, .data.fd = sfdn,
							};
							if (epoll_ctl(ep, EPOLL_CTL_ADD, sfdn, &e) < 0) {
								close(sfdn);
								continue;
							}
							sources++;
							open_fds++;
						}
					}
				}
			} else if (fd == q) {
				int c;
				while ((c = accept4(q, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
					char line[160];
					int len = snprintf(line, sizeof(line),
							   "bytes=%llu sources=%llu open=%llu eof=%llu\n",
							   bytes, sources, open_fds, eofs);
					if (write(c, line, (size_t)len) < 0) {
						/* the client went away: nothing to tell */
					}
					close(c);
				}
			} else {
				for (int k = 0; k < READS_PER_TURN; k++) {
					ssize_t r = read(fd, buf, sizeof(buf));
					if (r < 0 && errno == EINTR)
						continue;
					if (r < 0 && errno == EAGAIN)
						break;
					if (r <= 0) {
						close(fd);
						open_fds--;
						eofs++;
						break;
					}
					bytes += (unsigned long long)r;
					if ((size_t)r < sizeof(buf))
						break;
				}
			}
		}
	}
out:
	unlink(regpath);
	unlink(qpath);
	return 0;
}
