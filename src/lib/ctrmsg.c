#include "ctrmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool num(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (n > (max - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*v = n;
	return true;
}

static bool id_ok(const char *s, size_t len)
{
	if (len == 0 || len > CTR_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	/* Not "." or "..": the id names a socket file. */
	return !(len <= 2 && s[0] == '.' && (len == 1 || s[1] == '.'));
}

/* No control bytes (and no tab or newline, which the file separates
 * with). */
static bool text_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool cgroup_ok(const char *s, size_t len)
{
	return len >= 2 && len <= CTR_CGROUP_MAX && s[0] == '/' &&
	       text_ok(s, len);
}

static void copy(char *dst, const char *s, size_t len)
{
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int ctr_msg_parse(const struct reg_msg *m, struct ctr_msg *out,
		  const char **why)
{
	struct ctr_msg c;
	bool has_start = false;

	memset(&c, 0, sizeof(c));
	*why = NULL;
	if (m->name_len == 0 || m->name_len > CTR_NAME_MAX ||
	    !text_ok(m->name, m->name_len)) {
		*why = "bad name";
		return -EINVAL;
	}
	copy(c.name, m->name, m->name_len);
	for (unsigned i = 0; i < m->nattrs; i++) {
		const struct reg_attr *a = &m->attrs[i];
		uint64_t v;
#define KEY(k) (a->key_len == sizeof(k) - 1 && !memcmp(a->key, k, sizeof(k) - 1))
		if (KEY("container")) {
			if (!id_ok(a->val, a->val_len)) {
				*why = "bad container id";
				return -EINVAL;
			}
			copy(c.id, a->val, a->val_len);
		} else if (KEY("pid")) {
			if (!num(a->val, a->val_len, INT32_MAX, &v) || v == 0) {
				*why = "bad pid";
				return -EINVAL;
			}
			c.pid = (int32_t)v;
		} else if (KEY("start")) {
			if (!num(a->val, a->val_len, UINT64_MAX, &c.start_ticks)) {
				*why = "bad start";
				return -EINVAL;
			}
			has_start = true;
		} else if (KEY("cgroup")) {
			if (!cgroup_ok(a->val, a->val_len)) {
				*why = "bad cgroup (an absolute path other than /)";
				return -EINVAL;
			}
			copy(c.cgroup, a->val, a->val_len);
		} else if (KEY("ns.pid") || KEY("ns.net")) {
			if (!num(a->val, a->val_len, UINT64_MAX, &v) || v == 0) {
				*why = "bad namespace inode";
				return -EINVAL;
			}
			*(a->key[3] == 'p' ? &c.ns_pid : &c.ns_net) = v;
		}
#undef KEY
	}
	if (!c.id[0]) {
		*why = "no container id";
		return -EINVAL;
	}
	if (c.pid && (!has_start || !c.cgroup[0])) {
		*why = "pid= needs start= and cgroup=";
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int ctr_msg_build(char *out, size_t cap, const struct ctr_msg *c)
{
	char pid[16], start[24], nsp[24], nsn[24];
	struct reg_attr a[6];
	unsigned n = 0;

#define ATTR(k, v) a[n++] = (struct reg_attr){ k, strlen(k), v, strlen(v) }
	ATTR("container", c->id);
	if (c->pid) {
		snprintf(pid, sizeof(pid), "%" PRId32, c->pid);
		snprintf(start, sizeof(start), "%" PRIu64, c->start_ticks);
		ATTR("pid", pid);
		ATTR("start", start);
		ATTR("cgroup", c->cgroup);
		if (c->ns_pid) {
			snprintf(nsp, sizeof(nsp), "%" PRIu64, c->ns_pid);
			ATTR("ns.pid", nsp);
		}
		if (c->ns_net) {
			snprintf(nsn, sizeof(nsn), "%" PRIu64, c->ns_net);
			ATTR("ns.net", nsn);
		}
	}
#undef ATTR
	return reg_build(out, cap, c->name, strlen(c->name), a, n);
}

int ctr_line_format(char *out, size_t cap, const struct ctr_msg *c)
{
	int n = snprintf(out, cap, "%s\t%s\t%" PRId32 "\t%" PRIu64 "\t%s\t%"
			 PRIu64 "\t%" PRIu64 "\t%" PRIu32 "\t%d\n", c->id,
			 c->name, c->pid, c->start_ticks,
			 c->cgroup[0] ? c->cgroup : "-", c->ns_pid, c->ns_net,
			 c->uid, c->gone ? 1 : 0);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int ctr_line_parse(const char *line, size_t len, struct ctr_msg *c)
{
	const char *f[9];
	size_t fl[9];
	const char *p = line, *end = line + len;
	uint64_t v;
	int k = 0;

	if (len && end[-1] == '\n')
		end--;
	while (k < 9) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		const char *e = t ? t : end;
		f[k] = p;
		fl[k++] = (size_t)(e - p);
		if (!t)
			break;
		p = t + 1;
	}
	if (k != 9 || memchr(f[8], '\t', fl[8]))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (!id_ok(f[0], fl[0]) || fl[1] == 0 || fl[1] > CTR_NAME_MAX ||
	    !text_ok(f[1], fl[1]))
		return -EINVAL;
	copy(c->id, f[0], fl[0]);
	copy(c->name, f[1], fl[1]);
	if (!num(f[2], fl[2], INT32_MAX, &v))
		return -EINVAL;
	c->pid = (int32_t)v;
	if (!num(f[3], fl[3], UINT64_MAX, &c->start_ticks))
		return -EINVAL;
	if (!(fl[4] == 1 && f[4][0] == '-')) {
		if (!cgroup_ok(f[4], fl[4]))
			return -EINVAL;
		copy(c->cgroup, f[4], fl[4]);
	}
	if (!num(f[5], fl[5], UINT64_MAX, &c->ns_pid) ||
	    !num(f[6], fl[6], UINT64_MAX, &c->ns_net) ||
	    !num(f[7], fl[7], UINT32_MAX, &v))
		return -EINVAL;
	c->uid = (uint32_t)v;
	if (fl[8] != 1 || (f[8][0] != '0' && f[8][0] != '1'))
		return -EINVAL;
	c->gone = f[8][0] == '1';
	if (c->pid && !c->cgroup[0])
		return -EINVAL;
	return 0;
}
