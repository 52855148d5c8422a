/* memlogd: reads options, gets its sockets, runs the loop. */
#include "daemon.h"
#include "fileio.h"
#include "handover.h"
#include "fdhold.h"
#include "hold.h"
#include "fdname.h"
#include "diag.h"
#include "listen.h"
#include "options.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <sys/un.h>
#include <sys/time.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

const char *diag_prog = "memlogd";

enum {
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_IN_USE = 3,
};

static int bind_error(const char *what, const char *path, int r)
{
	if (r == -EADDRINUSE) {
		diag_warn("%s socket %s is served by another live process; "
			  "not taking it over", what, path);
		return EXIT_IN_USE;
	}
	if (r == -EEXIST) {
		diag_warn("%s socket path %s exists and is not a socket; not "
			  "removing it", what, path);
		return EXIT_RUNTIME;
	}
	diag_warn_err(r, "cannot bind %s socket %s", what, path);
	return EXIT_RUNTIME;
}

/* -daemonize: the sockets exist (and queue registrations) before the
 * parent exits, which it does once the copy in the background serves
 * (status 0) or has failed to start (1, the copy says why). The copy is
 * this process forked, not a program executed again: ps shows it as
 * memlogd (a re-exec through /proc/self/exe made the kernel name it
 * "exe"), it is the binary that was started even if a package upgrade
 * has replaced the file since (or deleted it), and it needs neither /proc
 * nor a path to itself. Returns the parent's exit status, or -1 in the
 * copy, which reports with daemonize_report(*ready, ...). */
static int daemonize(int *ready)
{
	int status[2];

	if (pipe2(status, O_CLOEXEC) < 0) {
		diag_warn_err(errno, "pipe");
		return EXIT_RUNTIME;
	}
	pid_t pid = fork();
	if (pid < 0) {
		diag_warn_err(errno, "fork");
		close(status[0]);
		close(status[1]);
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		close(status[0]);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			close(devnull);
		}
		setsid();
		*ready = status[1];
		return -1;
	}
	close(status[1]);
	int err = 0;
	ssize_t n;
	do
		n = read(status[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n != sizeof(err)) {
		diag_warn("the background daemon ended before it was ready");
		return EXIT_RUNTIME;
	}
	return err ? EXIT_RUNTIME : 0;
}

/* In the copy: tells the parent it serves (err 0) or cannot start. */
static void daemonize_report(int *ready, int err)
{
	if (*ready < 0)
		return;
	IGNORE_RESULT(write(*ready, &err, sizeof(err)));
	close(*ready);
	*ready = -1;
}

/* A socket file nobody serves (the holder let it go). */
static void unlink_stale(const char *path, int type)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    listen_probe(path, type) == 0)
		unlink(path);
}

/* --release: the holder of these sockets lets everything go; then their
 * files, served by nobody now, are removed. */
static int release(const struct memlogd_config *cfg)
{
	char path[256];
	int r = hold_path(path, sizeof(path), cfg->socket_log);

	if (r == 0)
		r = hold_release(path);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		diag_warn("no fd holder at %s", path);
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		diag_warn_err(r, "cannot release the fd holder at %s", path);
		return EXIT_RUNTIME;
	}
	unlink_stale(cfg->socket_log, SOCK_DGRAM);
	unlink_stale(cfg->socket_query, SOCK_STREAM);
	return 0;
}

/* The stats of the memlogd serving the query socket, as JSON text (a
 * small client of our own: memlogd needs no JSON library). Returns 0. */
static int ask_stats(const char *path, char *out, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = 0;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	strcpy(sa.sun_path, path);
	struct timeval tv = { 5, 0 };
	IGNORE_RESULT(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fd_write_all(fd, "stats\n", 6) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		ssize_t k = read(fd, out + n, cap - 1 - n);
		if (k <= 0 || (n += (size_t)k) == cap - 1)
			break;
	}
	close(fd);
	out[n] = '\0';
	return n ? 0 : -EPROTO;
}

/* A number field "name":N of the stats text, or -1. */
static long long stat_field(const char *js, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "\"%s\":", name);
	const char *p = strstr(js, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* --upgrade: asks the memlogd serving these sockets to upgrade (SIGUSR2)
 * and waits until it says it did, or refused. */
static int upgrade_client(const struct memlogd_config *cfg)
{
	static char js[1u << 20];
	int r = ask_stats(cfg->socket_query, js, sizeof(js));

	if (r < 0) {
		diag_warn_err(r, "no memlogd answers on %s", cfg->socket_query);
		return EXIT_RUNTIME;
	}
	long long pid = stat_field(js, "pid");
	long long done = stat_field(js, "upgrades");
	long long failed = stat_field(js, "upgrades_failed");
	if (pid <= 0 || done < 0 || failed < 0) {
		diag_warn("the memlogd on %s cannot be upgraded live (it does "
			  "not say its pid)", cfg->socket_query);
		return EXIT_RUNTIME;
	}
	if (kill((pid_t)pid, SIGUSR2) < 0) {
		diag_warn_err(errno, "cannot signal memlogd (pid %lld)", pid);
		return EXIT_RUNTIME;
	}
	uint64_t end = now_mono_ms() + 30000;
	while (now_mono_ms() < end) {
		sleep_ms(20);
		if (ask_stats(cfg->socket_query, js, sizeof(js)) < 0)
			continue; /* between the two binaries */
		if (stat_field(js, "upgrades") > done) {
			printf("memlogd (pid %lld) upgraded\n", pid);
			return 0;
		}
		if (stat_field(js, "upgrades_failed") > failed) {
			diag_warn("memlogd refused the upgrade (it goes on as it "
				  "was; the reason is in its notices and on its "
				  "stderr)");
			return EXIT_RUNTIME;
		}
	}
	diag_warn("memlogd did not say within 30 s whether it upgraded");
	return EXIT_RUNTIME;
}

/* --upgrade-from=FD: the handover of the memlogd this process was before
 * the exec. *blob is the caller's to free once h is no longer used. */
static int read_handover(int fd, struct handover *h, char **blob)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	*blob = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*blob)
		return -ENOMEM;
	if (pread(fd, *blob, (size_t)st.st_size, 0) != st.st_size) {
		r = -EIO;
		goto fail;
	}
	close(fd);
	r = handover_decode(*blob, (size_t)st.st_size, h);
	if (r == 0)
		return 0;
fail:
	free(*blob);
	*blob = NULL;
	return r;
}

/* The binary's path, for a later upgrade to execute again (a package
 * manager replaces the file at that path). */
static void own_binary(char *out, size_t cap, const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);

	if (n <= 0) {
		snprintf(out, cap, "%s", argv0);
		return;
	}
	out[n] = '\0';
	/* Already replaced (it says so): the path is still the one. */
	char *del = strstr(out, " (deleted)");
	if (del && del[10] == '\0')
		*del = '\0';
}

/* What the fd store gave back, sorted. */
struct legacy_src {
	struct fdstore_legacy e;
	char name[FDNAME_MAX + 1];
};

struct sorting {
	struct kept_fd *kept;
	int nkept;
	struct legacy_src *legacy;
	int nlegacy;
};

static void sort_key(void *arg, uint64_t key, int fd)
{
	struct sorting *so = arg;

	so->kept[so->nkept++] = (struct kept_fd){ key, fd };
}

static int sort_legacy(void *arg, const struct fdstore_legacy *e)
{
	struct sorting *so = arg;
	struct legacy_src *l = &so->legacy[so->nlegacy++];

	l->e = *e;
	memcpy(l->name, e->name, e->name_len);
	l->e.name = l->name;
	return 0;
}

static int kept_take(struct sorting *so, uint64_t key)
{
	for (int i = 0; i < so->nkept; i++) {
		if (so->kept[i].key == key && so->kept[i].fd >= 0) {
			int fd = so->kept[i].fd;
			so->kept[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct memlogd_config cfg;
	struct daemon d;
	char err[256];
	int log_fd = -1, query_fd = -1, ready = -1;
	bool own_log = false, own_query = false;
	int r;

	fd_stdio_guard();
	memlogd_config_defaults(&cfg);
	switch (memlogd_parse_args(argc, argv, &cfg, err, sizeof(err), stdout)) {
	case OPTS_EXIT_OK:
		return 0;
	case OPTS_USAGE:
		diag_usage("%s", err);
		return EXIT_USAGE;
	default:
		break;
	}

	if (cfg.upgrade_check) {
		/* The old memlogd asks before it hands over: which of its
		 * handovers this binary can take. */
		printf("memlogd-upgrade-ok %d %d\n", HANDOVER_OLDEST,
		       HANDOVER_VERSION);
		return 0;
	}
	if (cfg.upgrade)
		return upgrade_client(&cfg);
	if (cfg.release)
		return release(&cfg);
	/* Who may use the sockets, when memlogd binds them itself. */
	struct listen_access access;
	if ((r = listen_access_from(cfg.socket_group, cfg.socket_mode,
				    "/etc/group", &access)) < 0) {
		if (r == -ENOENT)
			diag_usage("--socket-group: no such group in /etc/group: %s",
				   cfg.socket_group);
		else
			diag_warn_err(r, "cannot read /etc/group");
		return r == -ENOENT ? EXIT_USAGE : EXIT_RUNTIME;
	}
	/* The group the sockets are opened to reads everything: that is
	 * what giving a group the query socket means (the uid filter of
	 * views is for sockets opened to everyone). */
	if (cfg.readers_group) {
		gid_t g;
		if ((r = listen_group_lookup(cfg.readers_group, "/etc/group",
					     &g)) < 0) {
			if (r == -ENOENT)
				diag_usage("--readers-group: no such group in "
					   "/etc/group: %s", cfg.readers_group);
			else
				diag_warn_err(r, "cannot read /etc/group");
			return r == -ENOENT ? EXIT_USAGE : EXIT_RUNTIME;
		}
		cfg.readers_gid = g;
	} else if (access.gid != (gid_t)-1) {
		cfg.readers_gid = access.gid;
	}

	static struct handover ho;
	char *ho_blob = NULL;
	bool upgrading = cfg.upgrade_from >= 0;
	if (upgrading && (r = read_handover(cfg.upgrade_from, &ho, &ho_blob)) < 0) {
		diag_warn_err(r, "cannot read the handover of the last memlogd");
		return EXIT_RUNTIME;
	}

	/* Sockets: given fds first, then socket activation, then paths. */
	static struct stored_fd stored[4096];
	static struct kept_fd kept[4096];
	static struct legacy_src legacy[4096];
	struct sorting so = { kept, 0, legacy, 0 };
	static struct hold hold;
	static struct hold_fd held[1u << 16];
	bool have_hold = false, hold_new = false, fresh_sockets = false;
	bool kept_sockets = false;
	hold_init(&hold);
	if (upgrading) {
		/* Everything comes from the handover, the fds across the
		 * exec: nothing is bound, taken or started. */
		log_fd = ho.fds[HO_REG];
		query_fd = ho.fds[HO_QUERY];
		own_log = own_query = ho.own_sockets;
		static const int keys[][2] = {
			{ KEY_RING, HO_RING }, { KEY_STATE, HO_STATE },
			{ KEY_BOUNCE_R, HO_BOUNCE_R }, { KEY_BOUNCE_W, HO_BOUNCE_W },
		};
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			kept[so.nkept++] = (struct kept_fd){
				(uint64_t)keys[i][0], ho.fds[keys[i][1]] };
		char bound[108];
		if (ho.fds[HO_HOLDER] >= 0 &&
		    listen_bound_path(log_fd, bound, sizeof(bound)) == 0 &&
		    hold_path(hold.path, sizeof(hold.path), bound) == 0) {
			fdhold_find_binary(cfg.fd_holder, hold.binary,
					 sizeof(hold.binary));
			hold.ev.fd = ho.fds[HO_HOLDER];
			have_hold = true;
		} else if (ho.fds[HO_HOLDER] >= 0) {
			close(ho.fds[HO_HOLDER]);
		}
	} else {
		if (cfg.fd_log >= 0) {
			if ((r = listen_check_fd(cfg.fd_log, SOCK_DGRAM)) < 0) {
				diag_warn_err(r, "-fd-log %d: not a unix datagram socket",
					      cfg.fd_log);
				return EXIT_USAGE;
			}
			log_fd = cfg.fd_log;
		}
		if (cfg.fd_query >= 0) {
			if ((r = listen_check_fd(cfg.fd_query, SOCK_STREAM)) < 0) {
				diag_warn_err(r, "-fd-query %d: not a unix stream socket",
					      cfg.fd_query);
				return EXIT_USAGE;
			}
			query_fd = cfg.fd_query;
		}
		/* Room for what a previous memlogd can have stored (LISTEN_FDS is
		 * read up to 4096 fds). Static: untouched pages cost no memory. */
		int nstored = listen_activation(&log_fd, &query_fd, stored,
						(int)ARRAY_SIZE(stored));
		if (nstored > 0) {
			struct fdstore_sorter sorter = { sort_key, sort_legacy, &so };
			if (fdstore_sort(stored, nstored, &sorter) == -ENOMEM)
				diag_warn("out of memory taking back the fd store");
		}
		/* The fd holder (when no service manager keeps things): the last
		 * memlogd's, with everything it kept, or a new one. */
		if (!cfg.fd_store && !(cfg.fd_holder && !strcmp(cfg.fd_holder, "no"))) {
			int nheld = 0;
			/* Named after the registration socket: an inherited one by
			 * the address it is bound to (a memlogd with the same
			 * command line finds the same holder). */
			char bound[108];
			const char *reg = cfg.socket_log;
			if (log_fd >= 0)
				reg = listen_bound_path(log_fd, bound, sizeof(bound)) == 0
				      ? bound : NULL;
			r = reg ? hold_path(hold.path, sizeof(hold.path), reg) : -EADDRNOTAVAIL;
			if (r == 0)
				r = fdhold_find_binary(cfg.fd_holder, hold.binary,
						     sizeof(hold.binary));
			if (r == 0)
				r = hold_open(&hold, held, (int)ARRAY_SIZE(held), &nheld);
			hold_new = r == 0;
			if (r == -EADDRINUSE) {
				diag_warn("%s is served by another live process (a memlogd "
					  "whose fd holder is %s); not taking it over",
					  cfg.socket_log, hold.path);
				return EXIT_IN_USE;
			}
			if (r < 0) {
				diag_warn_err(r, "no fd holder (%s): a crash or restart "
					      "of memlogd will close its writers' pipes",
					      r == -ENOENT ? "memlog-fdholder not found"
							   : hold.path);
			} else {
				have_hold = true;
				for (int i = 0; i < nheld && so.nkept < (int)ARRAY_SIZE(kept);
				     i++)
					so.kept[so.nkept++] = (struct kept_fd){
						held[i].key, held[i].fd };
			}
		}
		/* Sockets the last memlogd bound and kept: they still hold what was
		 * sent while no memlogd ran. */
		if (log_fd < 0 && (log_fd = kept_take(&so, KEY_REG)) >= 0)
			own_log = kept_sockets = true;
		if (query_fd < 0 && (query_fd = kept_take(&so, KEY_QUERY)) >= 0)
			own_query = kept_sockets = true;
		if (log_fd < 0) {
			log_fd = listen_unix_access(cfg.socket_log, SOCK_DGRAM, &access);
			if (log_fd < 0)
				return bind_error("registration", cfg.socket_log, log_fd);
			own_log = fresh_sockets = true;
		}
		if (query_fd < 0) {
			query_fd = listen_unix_access(cfg.socket_query, SOCK_STREAM,
						      &access);
			if (query_fd < 0) {
				r = bind_error("query", cfg.socket_query, query_fd);
				if (own_log)
					unlink(cfg.socket_log);
				return r;
			}
			own_query = fresh_sockets = true;
		}
	}
	if (cfg.unlink_on_exit)
		own_log = own_query = true;

	/* The parent returns; the copy, which owns the sockets now, goes on. */
	if (cfg.daemonize && (r = daemonize(&ready)) >= 0)
		return r;

	r = daemon_init(&d, &cfg, log_fd, query_fd,
			!(own_log && own_query) ? 0
			: fresh_sockets ? DAEMON_SOCKETS_OWN | DAEMON_SOCKETS_FRESH
			: kept_sockets ? DAEMON_SOCKETS_OWN : 0,
			have_hold ? &hold : NULL, kept, so.nkept,
			upgrading ? &ho : NULL);
	/* (daemon_init starts d afresh: these come after it.) */
	d.argv = argv;
	own_binary(d.exe, sizeof(d.exe), argv[0]);
	if (r == 0 && upgrading) {
		/* Every reader goes on where it was, on its connection. */
		int lost = 0;
		for (uint32_t i = 0; i < ho.nreaders; i++)
			lost += readers_import(&d.readers, &ho.readers[i]) < 0;
		store_notice(&d.store, lost > 0, "upgraded: memlog %s took over "
			     "live (%u sources, %u readers%s)", MEMLOG_VERSION,
			     ho.nsources, ho.nreaders - (uint32_t)lost,
			     lost ? ", some readers lost" : "");
		handover_free(&ho);
		free(ho_blob);
	}
	bool init_failed = r < 0;
	if (r < 0) {
		diag_warn_err(r, "cannot start");
		daemonize_report(&ready, r);
	} else {
		/* Sources memlog 0.1 left in the fd store: read on before
		 * anything new is registered. */
		for (int i = 0; i < so.nlegacy; i++)
			daemon_adopt_legacy(&d, &legacy[i].e);
		listen_notify("READY=1");
		daemonize_report(&ready, 0);
		r = daemon_run(&d);
		listen_notify("STOPPING=1");
		if (r < 0)
			diag_warn_err(r, "event loop failed");
	}
	/* With a keeper the sockets stay bound for the next memlogd: their
	 * paths must go on naming them. Ctrl-C is the end, not a restart:
	 * the holder lets everything go. */
	bool keep_paths = d.keeping;
	/* A start that failed with a holder of its own making: nothing is
	 * worth keeping. */
	if (init_failed && have_hold && hold_new)
		d.release = true;
	if (d.release && have_hold) {
		hold_close(&hold, &d.loop);
		if (hold_release(hold.path) == 0)
			keep_paths = false;
	}
	daemon_destroy(&d);
	close(log_fd);
	close(query_fd);
	if (own_log && !keep_paths)
		unlink(cfg.socket_log);
	if (own_query && !keep_paths)
		unlink(cfg.socket_query);
	return r < 0 ? EXIT_RUNTIME : 0;
}
