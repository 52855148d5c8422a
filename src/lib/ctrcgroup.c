#include "ctrcgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool hex64(const char *p, size_t len)
{
	if (len != CTR_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static const struct {
	const char *prefix;
	const char *engine;
} scopes[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "crio" },
	{ "libpod-", "podman" },
};

/* One path component: is it a container's? */
static const char *component(const char *s, size_t n, const char *parent,
			     size_t parent_len, bool in_pod, const char **id)
{
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t pl = strlen(scopes[i].prefix);
		/* systemd: PREFIX-ID.scope; cgroupfs CRI-O and Podman:
		 * PREFIX-ID */
		if (n > pl && !memcmp(s, scopes[i].prefix, pl)) {
			size_t rest = n - pl;
			if (rest == CTR_ID_LEN + 6 && !memcmp(s + n - 6, ".scope", 6))
				rest -= 6;
			if (hex64(s + pl, rest)) {
				*id = s + pl;
				return scopes[i].engine;
			}
		}
	}
	/* cgroupfs: /docker/ID, or ID right under a kubepods pod. */
	if (hex64(s, n) && ((parent_len == 6 && !memcmp(parent, "docker", 6)) ||
			    in_pod)) {
		*id = s;
		return in_pod ? "containerd" : "docker";
	}
	return NULL;
}

int ctr_cgroup_parse(const char *path, size_t len, struct ctr_cgroup *c)
{
	const char *end = path + len, *parent = "";
	size_t parent_len = 0;
	bool kube = false;
	char pod[64] = "";

	for (const char *s = path; s < end;) {
		if (*s == '/') {
			s++;
			continue;
		}
		const char *e = memchr(s, '/', (size_t)(end - s));
		if (!e)
			e = end;
		size_t n = (size_t)(e - s);
		const char *id;
		const char *engine = component(s, n, parent, parent_len,
					       kube && pod[0], &id);
		if (engine) {
			c->engine = engine;
			memcpy(c->id, id, CTR_ID_LEN);
			c->id[CTR_ID_LEN] = '\0';
			c->base_len = (size_t)(e - path);
			memcpy(c->pod, pod, sizeof(pod));
			return 0;
		}
		if (n >= 8 && !memcmp(s, "kubepods", 8))
			kube = true;
		/* A pod: "pod<uid>" (cgroupfs) or "kubepods-...-pod<uid>.slice"
		 * (systemd, with '_' for '-' in the uid). */
		if (kube) {
			const char *p = memmem(s, n, "pod", 3);
			while (p) {
				const char *ps = p + 3;
				size_t pn = (size_t)(e - ps);
				if (pn > 6 && !memcmp(e - 6, ".slice", 6))
					pn -= 6;
				if ((p == s || p[-1] == '-') && pn >= 8 &&
				    pn < sizeof(pod)) {
					memcpy(pod, ps, pn);
					pod[pn] = '\0';
					for (size_t i = 0; i < pn; i++)
						if (pod[i] == '_')
							pod[i] = '-';
					break;
				}
				p = memmem(p + 3, (size_t)(e - p - 3), "pod", 3);
			}
		}
		parent = s;
		parent_len = n;
		s = e;
	}
	return -ENOENT;
}
