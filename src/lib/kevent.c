#include "kevent.h"
#include "util.h"

#include <string.h>

/* Templates: literal bytes, and
 *   %u  one or more decimal digits (a value)
 *   %d  %u with an optional '-'
 *   %x  one or more lowercase hex digits (no value)
 * matched forward from a start (fwd) or backward from an end (bwd), so
 * that a line is pinned at both ends by the kernel's own format. */
#define TMPL_VALS 8

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* The value of digits [s, e), with an optional leading '-'; false past 18
 * digits (no kernel number here is that long). */
static bool number(const char *s, const char *e, int64_t *v)
{
	bool neg = s < e && *s == '-';
	int64_t n = 0;

	s += neg;
	if (s == e || e - s > 18)
		return false;
	for (; s < e; s++) {
		if (!is_digit(*s))
			return false;
		n = n * 10 + (*s - '0');
	}
	*v = neg ? -n : n;
	return true;
}

/* Matches template t at p (not past end). Returns the end of the match,
 * or NULL. Values of %u and %d go to vals in order. */
static const char *fwd(const char *p, const char *end, const char *t,
		       int64_t *vals)
{
	int nv = 0;

	for (; *t; t++) {
		if (*t != '%') {
			if (p == end || *p != *t)
				return NULL;
			p++;
			continue;
		}
		const char *s = p;
		char k = *++t;
		if (k == 'd' && p < end && *p == '-')
			p++;
		const char *ds = p;
		while (p < end && (k == 'x' ? is_hex(*p) : is_digit(*p)))
			p++;
		if (p == ds)
			return NULL;
		if (k != 'x') {
			int64_t v;
			if (!number(s, p, &v))
				return NULL;
			if (vals && nv < TMPL_VALS)
				vals[nv] = v;
			nv++;
		}
	}
	return p;
}

/* Matches template t so that it ends exactly at end (not before start).
 * Returns where the match begins, or NULL. Values as for fwd(). */
static const char *bwd(const char *start, const char *end, const char *t,
		       int64_t *vals)
{
	const char *spans[TMPL_VALS][2];
	int nv = 0;
	const char *p = end;
	size_t tl = strlen(t);

	for (size_t i = tl; i-- > 0;) {
		bool ph = i > 0 && t[i - 1] == '%' && (t[i] == 'u' || t[i] == 'd' ||
						       t[i] == 'x');
		if (!ph) {
			if (p == start || p[-1] != t[i])
				return NULL;
			p--;
			continue;
		}
		char k = t[i];
		const char *e = p;
		while (p > start && (k == 'x' ? is_hex(p[-1]) : is_digit(p[-1])))
			p--;
		if (p == e)
			return NULL;
		if (k == 'd' && p > start && p[-1] == '-')
			p--;
		if (k != 'x' && nv < TMPL_VALS) {
			spans[nv][0] = p;
			spans[nv][1] = e;
			nv++;
		}
		i--; /* the '%' */
	}
	for (int j = 0; j < nv; j++) {
		int64_t v;
		if (!number(spans[j][0], spans[j][1], &v))
			return NULL;
		if (vals)
			vals[nv - 1 - j] = v;
	}
	return p;
}

static bool starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Occurrences of lit in [p, end). */
static int count(const char *p, const char *end, const char *lit,
		 const char **first)
{
	size_t n = strlen(lit);
	int c = 0;

	for (; (size_t)(end - p) >= n; p++) {
		p = memmem(p, (size_t)(end - p), lit, n);
		if (!p)
			break;
		if (c++ == 0 && first)
			*first = p;
	}
	return c;
}

/* A comm as /dev/kmsg prints it: 0 to 15 bytes, where every byte below
 * 0x20, above 0x7e and the backslash itself is written \xNN. */
static bool comm_ok(const char *p, size_t len)
{
	size_t bytes = 0;

	if (len > KEV_COMM_MAX)
		return false;
	for (size_t i = 0; i < len; bytes++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == '\\') {
			if (len - i < 4 || p[i + 1] != 'x' || !is_hex(p[i + 2]) ||
			    !is_hex(p[i + 3]))
				return false;
			i += 4;
		} else {
			i++;
		}
	}
	return bytes <= 15;
}

static void reset(struct kevent *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = ev->uid = ev->sig = ev->syscall = -1;
}

static enum kevent_type set(struct kevent *ev, enum kevent_type t,
			    int64_t pid, const char *comm, size_t comm_len)
{
	ev->type = t;
	ev->pid = pid;
	ev->comm = (struct kstr){ comm, comm_len };
	return t;
}

/* "COMM invoked oom-killer: gfp_mask=0x%x(FLAGS), order=%d,
 * oom_score_adj=%d" */
static enum kevent_type oom_start(const char *m, const char *end,
				  struct kevent *ev)
{
	static const char key[] = " invoked oom-killer: gfp_mask=0x";
	const char *at = memmem(m, (size_t)(end - m), key, sizeof(key) - 1);

	if (!at || !comm_ok(m, (size_t)(at - m)))
		return KEV_NONE;
	const char *p = fwd(at + sizeof(key) - 1, end, "%x(", NULL);
	if (!p)
		return KEV_NONE;
	while (p < end && *p != ')' && *p != '(')
		p++;
	p = p < end && *p == ')' ? fwd(p, end, "), order=%d, oom_score_adj=%d",
				       NULL) : NULL;
	if (p != end)
		return KEV_NONE;
	return set(ev, KEV_OOM_START, -1, m, (size_t)(at - m));
}

/* "oom-kill:constraint=CONSTRAINT_X,nodemask=...,task=COMM,pid=N,uid=N":
 * COMM, and where the cgroup ends, are known only with the killed
 * record (kevent_oom_check). */
static enum kevent_type oom_summary(const char *m, const char *end,
				    struct kevent *ev)
{
	static const char head[] = "oom-kill:constraint=CONSTRAINT_";
	int64_t v[2];

	if (!starts(m, end, head))
		return KEV_NONE;
	const char *p = m + sizeof(head) - 1, *c = p;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '_'))
		p++;
	if (p == c || !starts(p, end, ",nodemask="))
		return KEV_NONE;
	const char *t = bwd(p, end, ",pid=%u,uid=%d", v);
	if (!t)
		return KEV_NONE;
	ev->global_oom = !((size_t)(p - c) == 5 && !memcmp(c, "MEMCG", 5));
	ev->task_at = t;
	ev->uid = v[1];
	return set(ev, KEV_OOM_SUMMARY, v[0], NULL, 0);
}

/* "Memory cgroup out of memory: Killed process N (COMM) total-vm:..."
 * (or "Out of memory: ..." for a global OOM). */
static enum kevent_type oom_killed(const char *m, const char *end,
				   struct kevent *ev)
{
	static const char *const heads[] = {
		"Memory cgroup out of memory: Killed process ",
		"Out of memory: Killed process ",
		"Out of memory (oom_kill_allocating_task): Killed process ",
	};
	int64_t pid, v[8];

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		if (!starts(m, end, heads[i]))
			continue;
		const char *c = fwd(m + strlen(heads[i]), end, "%u (", &pid);
		const char *t = c ? bwd(c, end, ") total-vm:%ukB, anon-rss:%ukB, "
					"file-rss:%ukB, shmem-rss:%ukB, UID:%u "
					"pgtables:%ukB oom_score_adj:%d", v) : NULL;
		if (!t || !comm_ok(c, (size_t)(t - c)))
			return KEV_NONE;
		ev->uid = v[4];
		return set(ev, KEV_OOM_KILLED, pid, c, (size_t)(t - c));
	}
	return KEV_NONE;
}

/* "oom_reaper: reaped process N (COMM), now anon-rss:..." */
static enum kevent_type oom_reaped(const char *m, const char *end,
				   struct kevent *ev)
{
	int64_t pid;
	const char *c = fwd(m, end, "oom_reaper: reaped process %u (", &pid);
	const char *t = c ? bwd(c, end, "), now anon-rss:%ukB, file-rss:%ukB, "
				"shmem-rss:%ukB", NULL) : NULL;

	if (!t || !comm_ok(c, (size_t)(t - c)))
		return KEV_NONE;
	return set(ev, KEV_OOM_REAPED, pid, c, (size_t)(t - c));
}

/* "COMM[N]: segfault at %x ip %x sp %x error %x[ in FILE[...]][ likely on
 * CPU ...]": COMM is at most KEV_COMM_MAX bytes, so the '[' that starts
 * the pid is among the first ones; exactly one may fit. */
static enum kevent_type segfault(const char *m, const char *end,
				 struct kevent *ev)
{
	const char *lim = m + KEV_COMM_MAX + 1, *found = NULL;
	int64_t pid = -1, v;
	int n = 0;

	for (const char *p = m; p < end && p < lim; p++) {
		if (*p != '[')
			continue;
		const char *r = fwd(p, end, "[%u]: segfault at %x ip %x sp %x "
				    "error %x", &v);
		if (!r || !comm_ok(m, (size_t)(p - m)))
			continue;
		if (r != end && !starts(r, end, " in ") &&
		    !starts(r, end, " likely on CPU "))
			continue;
		n++;
		found = p;
		pid = v;
	}
	if (n != 1)
		return KEV_NONE;
	return set(ev, KEV_SEGFAULT, pid, m, (size_t)(found - m));
}

/* "traps: COMM[N] DESC ip:%x sp:%x error:%x[ in FILE[...]]", DESC such
 * as "trap divide error" or "general protection fault". */
static enum kevent_type trap(const char *m, const char *end,
			     struct kevent *ev)
{
	const char *c = m + 7, *found = NULL;
	int64_t pid = -1, v;
	int n = 0;

	if (!starts(m, end, "traps: "))
		return KEV_NONE;
	for (const char *p = c; p < end && p < c + KEV_COMM_MAX + 1; p++) {
		if (*p != '[')
			continue;
		const char *d = fwd(p, end, "[%u] ", &v), *q = d;
		if (!d || !comm_ok(c, (size_t)(p - c)))
			continue;
		while (q < end && ((*q >= 'a' && *q <= 'z') || is_digit(*q) ||
				   *q == ' ') && !starts(q, end, " ip:"))
			q++;
		const char *r = q > d ? fwd(q, end, " ip:%x sp:%x error:%x", NULL)
				      : NULL;
		if (!r || (r != end && !starts(r, end, " in ")))
			continue;
		n++;
		found = p;
		pid = v;
	}
	if (n != 1)
		return KEV_NONE;
	return set(ev, KEV_TRAP, pid, c, (size_t)(found - c));
}

/* "INFO: task COMM:N blocked for more than N seconds." */
static enum kevent_type hung(const char *m, const char *end,
			     struct kevent *ev)
{
	int64_t v[2];

	if (!starts(m, end, "INFO: task "))
		return KEV_NONE;
	const char *c = m + 11;
	const char *t = bwd(c, end, ":%u blocked for more than %u seconds.", v);
	if (!t || !comm_ok(c, (size_t)(t - c)))
		return KEV_NONE;
	return set(ev, KEV_HUNG, v[0], c, (size_t)(t - c));
}

/* A value in an audit record: no space in it (audit writes a value with
 * a space, a quote or a control character as hex). */
static const char *token(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p;
}

/* "audit: type=1326 audit(T:S): auid=%u uid=%u gid=%u ses=%u[ subj=X]
 * pid=%u comm=C exe=E sig=%u arch=%x syscall=%u compat=%u ip=0x%x
 * code=0x%x" (seccomp), or type=1701 ending "sig=%u res=%u" (a core
 * dump). */
static enum kevent_type audit(const char *m, const char *end,
			      struct kevent *ev)
{
	int64_t h[4], a[4], tail[3], pid;
	const char *p = fwd(m, end, "audit: type=%u audit(%u.%u:%u): ", h);
	const char *t;
	enum kevent_type type;

	if (!p)
		return KEV_NONE;
	if (h[0] == 1326) {
		type = KEV_SECCOMP;
		t = bwd(p, end, " sig=%u arch=%x syscall=%u compat=%u ip=0x%x "
			"code=0x%x", tail);
	} else if (h[0] == 1701) {
		type = KEV_CRASH;
		t = bwd(p, end, " sig=%u res=%u", tail);
		tail[1] = -1;
	} else {
		return KEV_NONE;
	}
	if (!t || !(p = fwd(p, t, "auid=%u uid=%u gid=%u ses=%u", a)))
		return KEV_NONE;
	if (starts(p, t, " subj="))
		p = token(p + 6, t);
	if (!(p = fwd(p, t, " pid=%u comm=", &pid)))
		return KEV_NONE;
	const char *c = p, *ce = token(p, t);
	if (!starts(ce, t, " exe=") || token(ce + 5, t) != t)
		return KEV_NONE;
	bool hex = !(ce - c >= 2 && *c == '"' && ce[-1] == '"');
	if (!hex) {
		c++;
		ce--;
		if (memchr(c, '"', (size_t)(ce - c)))
			return KEV_NONE;
	} else {
		for (const char *q = c; q < ce; q++)
			if (!is_digit(*q) && !(*q >= 'A' && *q <= 'F'))
				return KEV_NONE;
		if ((ce - c) % 2 || ce - c > 30)
			return KEV_NONE;
	}
	if (!hex && (size_t)(ce - c) > 15)
		return KEV_NONE;
	ev->uid = a[1];
	ev->sig = tail[0];
	ev->syscall = tail[1];
	ev->comm_hex = hex;
	return set(ev, type, pid, c, (size_t)(ce - c));
}

/* An interface name as the kernel allows it (dev_valid_name): up to 15
 * bytes, no '/', ':' or white space; the empty name is "none". */
static const char *ifname(const char *p, const char *end, struct kstr *out)
{
	const char *s = p;

	while (p < end && *p != ' ' && *p != '/' && *p != ':' &&
	       (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
		p++;
	if (p - s > 15 || p == end || *p != ' ')
		return NULL;
	*out = (struct kstr){ s, (size_t)(p - s) };
	return p + 1;
}

/* The part of a netfilter LOG line from "IN=" on, if p starts it:
 * "IN=A OUT=B [PHYSIN=C ][PHYSOUT=D ]" then the packet (MAC=, SRC=, ARP,
 * PROTO=) or nothing. */
static bool nf_at(const char *p, const char *end, struct kstr *ifs)
{
	struct kstr x[KEV_NIFS] = { { 0 } };

	if (!starts(p, end, "IN=") || !(p = ifname(p + 3, end, &x[KEV_IF_IN])) ||
	    !starts(p, end, "OUT="))
		return false;
	/* OUT= is followed by a space, or ends the line (no packet). */
	if (!(p = ifname(p + 4, end, &x[KEV_IF_OUT])))
		return false;
	if (starts(p, end, "PHYSIN=") &&
	    !(p = ifname(p + 7, end, &x[KEV_IF_PHYSIN])))
		return false;
	if (starts(p, end, "PHYSOUT=") &&
	    !(p = ifname(p + 8, end, &x[KEV_IF_PHYSOUT])))
		return false;
	if (p != end && !starts(p, end, "MAC=") && !starts(p, end, "SRC=") &&
	    !starts(p, end, "ARP ") && !starts(p, end, "PROTO="))
		return false;
	memcpy(ifs, x, sizeof(x));
	return true;
}

/* "PREFIXIN=A OUT=B ...": the prefix is the rule's, any text: it may hold
 * "IN=x OUT=y " too. Only a line where exactly one place reads as the
 * start of the packet's part is taken. */
static enum kevent_type netfilter(const char *m, const char *end,
				  struct kevent *ev)
{
	struct kstr ifs[KEV_NIFS];
	int n = 0;

	for (const char *p = m; (p = memmem(p, (size_t)(end - p), "IN=", 3));
	     p++) {
		if (p - m >= 4 && !memcmp(p - 4, "PHYS", 4))
			continue;
		if (nf_at(p, end, ifs) && ++n == 1)
			memcpy(ev->ifs, ifs, sizeof(ifs));
	}
	if (n != 1) {
		memset(ev->ifs, 0, sizeof(ev->ifs));
		return KEV_NONE;
	}
	return set(ev, KEV_NETFILTER, -1, NULL, 0);
}

enum kevent_type kevent_parse(int facility, const char *msg, size_t len,
			      struct kevent *ev)
{
	static enum kevent_type (*const parsers[])(const char *, const char *,
						   struct kevent *) = {
		oom_start, oom_summary, oom_killed, oom_reaped, segfault, trap,
		hung, audit, netfilter,
	};
	const char *end = msg + len;

	reset(ev);
	if (facility != 0)
		return KEV_NONE;
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		if (parsers[i](msg, end, ev) != KEV_NONE)
			return ev->type;
		reset(ev);
	}
	return KEV_NONE;
}

bool kevent_oom_check(const struct kevent *summary, const char *summary_msg,
		      const struct kevent *killed, struct kstr *cgroup)
{
	static const char task[] = ",task=", memcg[] = ",task_memcg=";
	const struct kstr *c = &killed->comm;

	*cgroup = (struct kstr){ NULL, 0 };
	if (summary->type != KEV_OOM_SUMMARY || killed->type != KEV_OOM_KILLED ||
	    summary->pid != killed->pid)
		return false;
	size_t head = (size_t)(summary->task_at - summary_msg);
	size_t need = sizeof(task) - 1 + c->len;
	if (head < need)
		return false;
	const char *t = summary->task_at - need;
	if (memcmp(t, task, sizeof(task) - 1) ||
	    memcmp(t + sizeof(task) - 1, c->p, c->len))
		return false;
	/* The cgroup: from the one ",task_memcg=" to ",task=COMM". A cgroup
	 * name (the cpuset's, oom_memcg's or its own) may hold that text:
	 * then which one it is cannot be told, and there is none. */
	const char *at = NULL;
	if (count(summary_msg, t, memcg, &at) == 1 && at + 12 < t && at[12] == '/')
		*cgroup = (struct kstr){ at + 12, (size_t)(t - at - 12) };
	return true;
}

bool kevent_comm_eq(const struct kevent *ev, const char *raw, size_t raw_len)
{
	const char *p = ev->comm.p, *end;
	size_t i = 0;

	if (!p)
		return false;
	end = p + ev->comm.len;
	while (p < end) {
		int c;
		if (ev->comm_hex) {
			c = hex_digit(p[0], false) * 16 + hex_digit(p[1], false);
			p += 2;
		} else if (*p == '\\' && end - p >= 4) {
			c = hex_digit(p[2], false) * 16 + hex_digit(p[3], false);
			p += 4;
		} else {
			c = (unsigned char)*p++;
		}
		if (i >= raw_len || (unsigned char)raw[i] != c)
			return false;
		i++;
	}
	return i == raw_len;
}

const char *kevent_name(enum kevent_type t)
{
	switch (t) {
	case KEV_OOM_START:
	case KEV_OOM_SUMMARY:
	case KEV_OOM_KILLED:
	case KEV_OOM_REAPED: return "oom";
	case KEV_SEGFAULT: return "segfault";
	case KEV_TRAP: return "trap";
	case KEV_HUNG: return "hung";
	case KEV_SECCOMP: return "seccomp";
	case KEV_CRASH: return "crash";
	case KEV_NETFILTER: return "netfilter";
	default: return NULL;
	}
}
