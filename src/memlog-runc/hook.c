#include "hook.h"
#include "ctrmsg.h"
#include "procinfo.h"
#include "register.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX (1u << 20)
#define ANSWER_MS 3000

int hook_state_parse(const char *text, size_t len, char *id, size_t id_cap,
		     int32_t *pid, const char **why)
{
	json_error_t err;
	json_t *st = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	json_t *jid = st ? json_object_get(st, "id") : NULL;
	json_t *jpid = st ? json_object_get(st, "pid") : NULL;
	int r = -EINVAL;

	if (!st || !json_is_object(st))
		*why = "the state is not a JSON object";
	else if (!json_is_string(jid) || json_string_length(jid) == 0 ||
		 json_string_length(jid) >= id_cap)
		*why = "the state has no usable id";
	else if (!json_is_integer(jpid) || json_integer_value(jpid) <= 0 ||
		 json_integer_value(jpid) > INT32_MAX)
		*why = "the state has no pid";
	else {
		memcpy(id, json_string_value(jid), json_string_length(jid) + 1);
		*pid = (int32_t)json_integer_value(jpid);
		r = 0;
	}
	json_decref(st);
	return r;
}

static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return (ssize_t)n;
}

static int read_proc(int32_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read_all(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return (int)n;
}

static uint64_t ns_inode(int32_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/ns/%s", pid, ns);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static int send_msg(const char *socket, const struct ctr_msg *m, char *why,
		    size_t why_cap)
{
	char buf[REG_DGRAM_MAX];
	struct registrar reg;
	int n = ctr_msg_build(buf, sizeof(buf) - 16, m);

	if (n < 0) {
		snprintf(why, why_cap, "the registration does not fit");
		return n;
	}
	int r = registrar_open(&reg, socket);
	if (r == 0) {
		r = registrar_send_payload_acked(&reg, buf, (size_t)n, -1, ANSWER_MS,
						 why, why_cap);
		registrar_close(&reg);
	}
	if (r < 0 && !why[0])
		snprintf(why, why_cap, "%s", r == -ETIMEDOUT ? "no answer in time"
			 : r == -EPROTO ? "not memlog's memlogd" : strerror(-r));
	return r;
}

int hook_run(int fd, const char *socket, const char *name, char *why,
	     size_t why_cap)
{
	struct ctr_msg m;
	char *text = malloc(STATE_MAX), stat[1024], cg[4096];
	const char *w = NULL, *p;
	struct proc_stat ps;
	size_t plen;
	int r;

	why[0] = '\0';
	memset(&m, 0, sizeof(m));
	if (!text)
		return -ENOMEM;
	ssize_t n = read_all(fd, text, STATE_MAX);
	r = n < 0 ? (int)n : hook_state_parse(text, (size_t)n, m.id,
					       sizeof(m.id), &m.pid, &w);
	free(text);
	if (r < 0) {
		snprintf(why, why_cap, "%s", w ? w : strerror(-r));
		return r;
	}
	snprintf(m.name, sizeof(m.name), "%s", name);
	if ((r = read_proc(m.pid, "stat", stat, sizeof(stat))) < 0 ||
	    (r = proc_stat_parse(stat, (size_t)r, &ps)) < 0 ||
	    (r = read_proc(m.pid, "cgroup", cg, sizeof(cg))) < 0 ||
	    (r = proc_cgroup_pick(cg, (size_t)r, &p, &plen)) < 0 ||
	    plen >= sizeof(m.cgroup)) {
		snprintf(why, why_cap, "cannot read /proc/%" PRId32 ": %s", m.pid,
			 strerror(r < 0 ? -r : ENAMETOOLONG));
		return r < 0 ? r : -ENAMETOOLONG;
	}
	m.start_ticks = ps.start_ticks;
	memcpy(m.cgroup, p, plen);
	m.cgroup[plen] = '\0';
	m.ns_pid = ns_inode(m.pid, "pid");
	m.ns_net = ns_inode(m.pid, "net");
	return send_msg(socket, &m, why, why_cap);
}

int hook_announce(const char *socket, const char *name, const char *id,
		  char *why, size_t why_cap)
{
	struct ctr_msg m;

	why[0] = '\0';
	memset(&m, 0, sizeof(m));
	if (strlen(id) >= sizeof(m.id) || strlen(name) >= sizeof(m.name))
		return -ENAMETOOLONG;
	strcpy(m.id, id);
	strcpy(m.name, name);
	return send_msg(socket, &m, why, why_cap);
}
