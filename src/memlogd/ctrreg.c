#include "ctrreg.h"
#include "hostroot.h"
#include "ctrcgroup.h"
#include "fileio.h"
#include "jsonenc.h"
#include "procinfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a container announced without a pid (memlog-runc before
 * runc create) may wait for its pid before it counts as gone. */
#define ANNOUNCE_WAIT_MS 60000

/* A small file of /proc into buf (NUL-terminated). Returns its length or
 * negative errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < cap - 1) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

static int proc_read_stat(int32_t pid, struct proc_stat *st, char *buf,
			  size_t cap)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/stat", pid);
	ssize_t n = read_small(path, buf, cap);
	if (n < 0)
		return (int)n;
	return proc_stat_parse(buf, (size_t)n, st);
}

static int proc_read_cgroup(int32_t pid, char *out, size_t cap)
{
	char path[64], buf[4096];
	const char *p;
	size_t len;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%" PRId32 "/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	ssize_t n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (proc_cgroup_pick(buf, (size_t)n, &p, &len) < 0 || len >= cap)
		return -ENOENT;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

/* Is the process still the one registered (same start time)? */
static bool alive(const struct ctr *c)
{
	struct proc_stat st;
	char buf[1024];

	return c->m.pid > 0 && proc_read_stat(c->m.pid, &st, buf, sizeof(buf)) == 0 &&
	       st.start_ticks == c->m.start_ticks;
}

static void save(struct ctrreg *r)
{
	r->dirty = false;
	if (!r->path[0])
		return;
	size_t cap = (size_t)r->n * (CTR_NAME_MAX + CTR_ID_MAX +
				     CTR_CGROUP_MAX + 128) + 1;
	char *buf = malloc(cap);
	size_t len = 0;
	if (!buf) {
		r->dirty = true;
		return;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		const struct ctr *c = r->v[i];
		if (c->recognized)
			continue;
		struct ctr_msg m = c->m;
		m.gone = c->gone_ms != 0;
		int k = ctr_line_format(buf + len, cap - len, &m);
		if (k > 0)
			len += (size_t)k;
	}
	const char *op;
	int e = file_replace(AT_FDCWD, r->path, buf, len, 0600, 0, &op);
	free(buf);
	if (e < 0 && !r->save_failed)
		store_notice(r->store, false, "containers: cannot write %s "
			     "(%s: %s); a restart of memlogd will forget the "
			     "registered containers", r->path, op, strerror(-e));
	r->save_failed = e < 0;
}

static void drop(struct ctrreg *r, uint32_t i)
{
	struct ctr *c = r->v[i];

	if (r->removed)
		r->removed(r->hook_arg, c);
	if (!c->recognized)
		r->dirty = true;
	r->v[i] = r->v[--r->n];
	free(c);
}

static struct ctr *add(struct ctrreg *r)
{
	struct ctr *c = calloc(1, sizeof(*c));

	if (c) {
		r->v[r->n++] = c;
		c->key = ++r->next_key ? r->next_key : ++r->next_key;
		c->netnsid = -1;
	}
	return c;
}

/* Every task of a registered container's cgroup, and its first
 * process, followed from now on. */
static void seed(struct ctrreg *r, const struct ctr *c)
{
	static const char *const fmt[] = {
		"/sys/fs/cgroup/memory%s/tasks",
		"/sys/fs/cgroup%s/cgroup.threads",
		"/sys/fs/cgroup/unified%s/cgroup.threads",
	};
	char path[CTR_CGROUP_MAX + 64], buf[16384];

	if (!r->pw || c->recognized || !c->m.pid || c->gone_ms)
		return;
	procwatch_add(r->pw, c->m.pid, c->key);
	for (size_t i = 0; i < ARRAY_SIZE(fmt); i++) {
		snprintf(path, sizeof(path), fmt[i], c->m.cgroup);
		ssize_t n = read_small(path, buf, sizeof(buf));
		if (n < 0)
			continue;
		for (char *p = buf, *e; *p; p = e) {
			long v = strtol(p, &e, 10);
			if (e == p)
				break;
			if (v > 0 && v <= INT32_MAX)
				procwatch_add(r->pw, (int32_t)v, c->key);
		}
		return;
	}
}

void ctrreg_watch(struct ctrreg *r, struct procwatch *pw)
{
	r->pw = pw;
	for (uint32_t i = 0; i < r->n; i++)
		seed(r, r->v[i]);
}

struct ctr *ctrreg_task(struct ctrreg *r, int32_t pid, uint64_t mono_us)
{
	uint32_t key = procwatch_task(r->pw, pid, mono_us);

	for (uint32_t i = 0; key && i < r->n; i++)
		if (r->v[i]->key == key)
			return r->v[i];
	return NULL;
}

/* Room for one more: the entry gone longest, else the recognized one
 * seen least recently. Returns false when every entry is a live
 * registered container. */
static bool make_room(struct ctrreg *r)
{
	int64_t best = -1;
	uint64_t when = UINT64_MAX;

	if (r->n < r->max)
		return true;
	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i]->gone_ms && r->v[i]->gone_ms < when) {
			when = r->v[i]->gone_ms;
			best = i;
		}
	for (uint32_t i = 0; best < 0 && i < r->n; i++)
		if (r->v[i]->recognized && r->v[i]->since_ms < when) {
			when = r->v[i]->since_ms;
			best = i;
		}
	if (best < 0)
		return false;
	drop(r, (uint32_t)best);
	r->evicted++;
	return true;
}

struct ctr *ctrreg_find(struct ctrreg *r, const char *id)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i]->m.id, id))
			return r->v[i];
	return NULL;
}

static void load(struct ctrreg *r, uint64_t now_ms)
{
	char *text;
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)r->max * 2048 + 4096 ||
	    !(text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return;
	}
	ssize_t n = read(fd, text, (size_t)st.st_size);
	close(fd);
	int bad = 0;
	for (const char *p = text, *end = text + (n > 0 ? n : 0); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct ctr c = { .since_ms = now_ms };
		if (ctr_line_parse(p, (size_t)(le - p), &c.m) < 0 ||
		    ctrreg_find(r, c.m.id) || r->n >= r->max) {
			bad++;
		} else {
			if (c.m.gone || !c.m.pid || !alive(&c))
				c.gone_ms = now_ms;
			struct ctr *e = add(r);
			if (e) {
				/* add() gave it its key (procwatch's). */
				c.key = e->key;
				c.netnsid = -1;
				*e = c;
			}
		}
		p = nl ? nl + 1 : end;
	}
	free(text);
	if (bad)
		store_notice(r->store, false, "containers: %d lines of %s not "
			     "taken back", bad, r->path);
}

int ctrreg_init(struct ctrreg *r, struct store *store, uint32_t max,
		uint32_t linger_s, const char *state_dir, uint64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	r->store = store;
	r->max = max ? max : 1;
	r->linger_ms = (uint64_t)linger_s * 1000;
	r->hz = sysconf(_SC_CLK_TCK);
	r->v = calloc(r->max, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	if (proc_read_cgroup(0, r->own_cgroup, sizeof(r->own_cgroup)) < 0)
		r->own_cgroup[0] = '\0';
	if (state_dir && *state_dir) {
		snprintf(r->path, sizeof(r->path), "%s/containers", state_dir);
		load(r, now_ms);
	}
	return 0;
}

/* Host root only (hostroot.h). */
static const char *check_sender(const struct ucred *cred)
{
	return host_root_why(cred, "only root may register containers");
}

/* What /proc says of the container's process must be what was sent. */
static const char *check_proc(const struct ctrreg *r, const struct ctr_msg *m)
{
	struct proc_stat st;
	char buf[1024], cg[CTR_CGROUP_MAX + 1];

	if (proc_read_stat(m->pid, &st, buf, sizeof(buf)) < 0)
		return "no such process";
	if (st.start_ticks != m->start_ticks)
		return "the process's start time differs (pid reused?)";
	if (proc_read_cgroup(m->pid, cg, sizeof(cg)) < 0 || strcmp(cg, m->cgroup))
		return "the process is not in that cgroup";
	if ((m->ns_pid && m->ns_pid != ns_inode(m->pid, "pid")) ||
	    (m->ns_net && m->ns_net != ns_inode(m->pid, "net")))
		return "the process's namespaces differ";
	/* A container's cgroup never holds memlogd: one that does is the
	 * host's (it would attribute the host's events). */
	if (r->own_cgroup[0] && cgroup_within(r->own_cgroup,
					      strlen(r->own_cgroup), m->cgroup,
					      strlen(m->cgroup)))
		return "the cgroup holds memlogd itself";
	return NULL;
}

const char *ctrreg_register(struct ctrreg *r, const struct reg_msg *m,
			    const struct ucred *cred, uint64_t now_ms)
{
	struct ctr_msg cm;
	const char *why = check_sender(cred);

	if (!why && ctr_msg_parse(m, &cm, &why) == 0 && cm.pid)
		why = check_proc(r, &cm);
	struct ctr *c = why ? NULL : ctrreg_find(r, cm.id);
	if (!why && !c) {
		if (!make_room(r) || !(c = add(r)))
			why = "the container registry is full";
	}
	if (why) {
		r->refused++;
		store_notice(r->store, true, "container registration of %.*s "
			     "refused: %s", (int)MIN(m->name_len, 200), m->name,
			     why);
		return why;
	}
	bool fresh = !c->m.id[0] || c->recognized;
	cm.uid = cred->uid;
	c->m = cm;
	c->netnsid = -1; /* its process may be another one now */
	c->recognized = false;
	c->since_ms = now_ms;
	c->gone_ms = 0;
	r->registered++;
	seed(r, c);
	if (fresh && r->added)
		r->added(r->hook_arg, c);
	save(r);
	return NULL;
}

struct ctr *ctrreg_by_cgroup(struct ctrreg *r, const char *path, size_t len,
			     uint64_t now_ms)
{
	struct ctr *best = NULL;
	size_t best_len = 0;
	struct ctr_cgroup cc;

	for (uint32_t i = 0; i < r->n; i++) {
		struct ctr *c = r->v[i];
		size_t cl = strlen(c->m.cgroup);
		if (!c->recognized && cl && cl > best_len &&
		    cgroup_within(path, len, c->m.cgroup, cl)) {
			best = c;
			best_len = cl;
		}
	}
	if (best)
		return best;
	if (ctr_cgroup_parse(path, len, &cc) < 0 || cc.base_len > CTR_CGROUP_MAX)
		return NULL;
	struct ctr *c = ctrreg_find(r, cc.id);
	if (c) {
		c->since_ms = now_ms;
		return c;
	}
	if (!make_room(r) || !(c = add(r)))
		return NULL;
	c->recognized = true;
	c->since_ms = now_ms;
	memcpy(c->m.id, cc.id, sizeof(cc.id));
	/* The short id, as the engines show it and memlog-runc names them. */
	memcpy(c->m.name, cc.id, 12);
	memcpy(c->m.cgroup, path, cc.base_len);
	c->m.cgroup[cc.base_len] = '\0';
	return c;
}

void ctrreg_tick(struct ctrreg *r, uint64_t now_ms)
{
	if (r->pw && r->pw->reseed) {
		r->pw->reseed = false;
		if (r->pw->lost == 1)
			store_notice(r->store, false, "containers: process "
				     "events were lost (a burst of forks): the "
				     "containers' ended tasks were forgotten "
				     "(stats containers.tasks.losses)");
		for (uint32_t i = 0; i < r->n; i++)
			seed(r, r->v[i]);
	}
	for (uint32_t i = 0; i < r->n;) {
		struct ctr *c = r->v[i];
		if (!c->gone_ms && !c->recognized) {
			bool gone = c->m.pid ? !alive(c) :
				    now_ms - c->since_ms > ANNOUNCE_WAIT_MS;
			if (gone) {
				c->gone_ms = now_ms;
				r->dirty = true;
			}
		}
		bool expired = c->gone_ms ? now_ms - c->gone_ms >= r->linger_ms :
			       c->recognized && now_ms - c->since_ms >= r->linger_ms &&
			       !c->view;
		if (expired) {
			drop(r, i);
			continue;
		}
		i++;
	}
	if (r->dirty)
		save(r);
}

size_t ctrreg_json_bound(const struct ctrreg *r)
{
	return 384 + (size_t)r->n * (JSON_ESCAPE_BOUND(CTR_NAME_MAX) +
				     JSON_ESCAPE_BOUND(CTR_CGROUP_MAX) +
				     CTR_ID_MAX + 200);
}

static size_t jstr(char *out, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	n += json_escape(out + n, s, strlen(s));
	out[n++] = '"';
	return n;
}

size_t ctrreg_json(const struct ctrreg *r, char *out, uint64_t now_ms)
{
	size_t n = (size_t)sprintf(out, "\"containers\":{\"registered\":%" PRIu64
				   ",\"refused\":%" PRIu64 ",\"evicted\":%" PRIu64
				   ",\"known\":%" PRIu32 ",\"max\":%" PRIu32,
				   r->registered, r->refused, r->evicted, r->n,
				   r->max);

	/* Whether reaped tasks can be attributed (procwatch.h). */
	if (r->pw)
		n += (size_t)sprintf(out + n, ",\"tasks\":{\"followed\":%" PRIu32
				     ",\"not_followed\":%" PRIu64 ",\"losses\":%"
				     PRIu64 "}", r->pw->n, r->pw->full, r->pw->lost);
	n += (size_t)sprintf(out + n, ",\"list\":[");
	for (uint32_t i = 0; i < r->n; i++) {
		const struct ctr *c = r->v[i];
		n += (size_t)sprintf(out + n, "%s{\"name\":", i ? "," : "");
		n += jstr(out + n, c->m.name);
		n += (size_t)sprintf(out + n, ",\"id\":\"%s\",\"pid\":%" PRId32
				     ",\"cgroup\":", c->m.id, c->m.pid);
		n += jstr(out + n, c->m.cgroup);
		n += (size_t)sprintf(out + n, ",\"registered\":%s,\"gone\":%s,"
				     "\"events\":%" PRIu64 ",\"view\":%s}",
				     c->recognized ? "false" : "true",
				     c->gone_ms ? "true" : "false", c->events,
				     c->view ? "true" : "false");
	}
	(void)now_ms;
	n += (size_t)sprintf(out + n, "]}");
	return n;
}

void ctrreg_destroy(struct ctrreg *r)
{
	if (r->dirty)
		save(r);
	while (r->n)
		drop(r, r->n - 1);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
