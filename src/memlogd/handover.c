#include "handover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HO_MAGIC 0x766f646e61686c6dull /* "mlhandov" */
#define HO_GLOBS_MAX 16
#define HO_STR_MAX 4096

struct wr {
	char *p;
	size_t n;
};

static void put(struct wr *w, const void *v, size_t len)
{
	if (w->p && len)
		memcpy(w->p + w->n, v, len);
	w->n += len;
}

#define PUT(w, v) put(w, &(v), sizeof(v))

static void encode(const struct handover *h, struct wr *w)
{
	uint64_t magic = HO_MAGIC;
	uint32_t version = HANDOVER_VERSION, own = h->own_sockets;

	PUT(w, magic);
	PUT(w, version);
	for (int i = 0; i < HO_NFDS; i++)
		PUT(w, h->fds[i]);
	PUT(w, own);
	PUT(w, h->nsources);
	PUT(w, h->nreaders);
	for (uint32_t i = 0; i < h->nsources; i++) {
		const struct handover_source *s = &h->sources[i];
		PUT(w, s->rec);
		PUT(w, s->fd);
		PUT(w, s->tee_fd);
	}
	for (uint32_t i = 0; i < h->nreaders; i++) {
		const struct handover_reader *r = &h->readers[i];
		PUT(w, r->fd);
		PUT(w, r->fmt);
		PUT(w, r->state);
		PUT(w, r->follow);
		PUT(w, r->closing);
		PUT(w, r->is_console);
		PUT(w, r->pollable);
		PUT(w, r->has_prio);
		PUT(w, r->prio_min);
		PUT(w, r->prio_max);
		PUT(w, r->fac_mask);
		PUT(w, r->pos_seq);
		PUT(w, r->pos_off);
		PUT(w, r->end_seq);
		PUT(w, r->sent);
		PUT(w, r->missed);
		PUT(w, r->nglobs);
		for (uint32_t g = 0; g < r->nglobs; g++) {
			uint32_t l = (uint32_t)strlen(r->globs[g]);
			PUT(w, l);
			put(w, r->globs[g], l);
		}
		PUT(w, r->has_since);
		PUT(w, r->since_ns);
		PUT(w, r->has_until);
		PUT(w, r->until_ns);
		PUT(w, r->stream_mask);
		PUT(w, r->grep_icase);
		uint32_t gl = r->grep ? r->grep_len : 0;
		PUT(w, gl);
		put(w, r->grep, gl);
		uint32_t il = r->view_id ? (uint32_t)strlen(r->view_id) : 0;
		uint32_t nl = r->view_id ? (uint32_t)strlen(r->view_name) : 0;
		uint8_t has_view = r->view_id != NULL;
		PUT(w, has_view);
		PUT(w, il);
		put(w, r->view_id, il);
		PUT(w, nl);
		put(w, r->view_name, nl);
		PUT(w, r->uid_only);
		PUT(w, r->uid);
		PUT(w, r->req_len);
		put(w, r->req, r->req_len);
		PUT(w, r->out_len);
		put(w, r->out, r->out_len);
	}
	PUT(w, h->nviews);
	for (uint32_t i = 0; i < h->nviews; i++)
		PUT(w, h->views[i]);
	PUT(w, h->uid_since_fd);
}

size_t handover_size(const struct handover *h)
{
	struct wr w = { NULL, 0 };

	encode(h, &w);
	return w.n;
}

size_t handover_encode(const struct handover *h, char *buf)
{
	struct wr w = { buf, 0 };

	encode(h, &w);
	return w.n;
}

struct rd {
	const char *p;
	size_t n, at;
	bool bad;
};

static void get(struct rd *r, void *v, size_t len)
{
	if (r->bad || r->n - r->at < len) {
		r->bad = true;
		memset(v, 0, len);
		return;
	}
	memcpy(v, r->p + r->at, len);
	r->at += len;
}

#define GET(r, v) get(r, &(v), sizeof(v))

/* len bytes of the blob (not NUL-terminated: the caller copies them). */
static const char *bytes(struct rd *r, uint32_t len)
{
	if (r->bad || r->n - r->at < len) {
		r->bad = true;
		return NULL;
	}
	const char *s = r->p + r->at;
	r->at += len;
	return s;
}

int handover_decode(const char *buf, size_t len, struct handover *h)
{
	struct rd r = { buf, len, 0, false };
	uint64_t magic;
	uint32_t own;

	memset(h, 0, sizeof(*h));
	h->uid_since_fd = -1;
	GET(&r, magic);
	GET(&r, h->version);
	if (r.bad || magic != HO_MAGIC)
		return -EBADMSG;
	if (h->version < HANDOVER_OLDEST || h->version > HANDOVER_VERSION)
		return -EPROTONOSUPPORT;
	for (int i = 0; i < HO_NFDS; i++) {
		GET(&r, h->fds[i]);
		if (h->fds[i] < -1)
			r.bad = true;
	}
	GET(&r, own);
	if (own > 1)
		r.bad = true;
	h->own_sockets = own != 0;
	GET(&r, h->nsources);
	GET(&r, h->nreaders);
	/* Each source takes 12 bytes and each reader more than 60: counts
	 * the blob cannot hold are refused before anything is allocated. */
	if (r.bad || h->nsources > (len - r.at) / 12 ||
	    h->nreaders > (len - r.at) / 60)
		return -EBADMSG;
	h->sources = calloc(h->nsources ? h->nsources : 1, sizeof(*h->sources));
	h->readers = calloc(h->nreaders ? h->nreaders : 1, sizeof(*h->readers));
	if (!h->sources || !h->readers) {
		handover_free(h);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < h->nsources && !r.bad; i++) {
		struct handover_source *s = &h->sources[i];
		GET(&r, s->rec);
		GET(&r, s->fd);
		GET(&r, s->tee_fd);
		if (s->fd < 0 || s->tee_fd < -1)
			r.bad = true;
	}
	for (uint32_t i = 0; i < h->nreaders && !r.bad; i++) {
		struct handover_reader *x = &h->readers[i];
		GET(&r, x->fd);
		GET(&r, x->fmt);
		GET(&r, x->state);
		GET(&r, x->follow);
		GET(&r, x->closing);
		GET(&r, x->is_console);
		GET(&r, x->pollable);
		GET(&r, x->has_prio);
		GET(&r, x->prio_min);
		GET(&r, x->prio_max);
		GET(&r, x->fac_mask);
		GET(&r, x->pos_seq);
		GET(&r, x->pos_off);
		GET(&r, x->end_seq);
		GET(&r, x->sent);
		GET(&r, x->missed);
		GET(&r, x->nglobs);
		if (x->fd < 0 || x->nglobs > HO_GLOBS_MAX)
			r.bad = true;
		for (uint32_t g = 0; g < x->nglobs && !r.bad; g++) {
			uint32_t l;
			GET(&r, l);
			if (l > HO_STR_MAX) {
				r.bad = true;
				break;
			}
			x->globs[g] = bytes(&r, l);
			x->glob_len[g] = l;
			/* Stored with their length; the glob itself must
			 * hold no NUL (fnmatch stops there). */
			if (x->globs[g] && memchr(x->globs[g], '\0', l))
				r.bad = true;
		}
		if (h->version >= 2) {
			GET(&r, x->has_since);
			GET(&r, x->since_ns);
			GET(&r, x->has_until);
			GET(&r, x->until_ns);
			GET(&r, x->stream_mask);
			GET(&r, x->grep_icase);
			GET(&r, x->grep_len);
			if (x->has_since > 1 || x->has_until > 1 ||
			    x->grep_icase > 1 || x->grep_len > HO_STR_MAX)
				r.bad = true;
			if (!r.bad && x->grep_len) {
				x->grep = bytes(&r, x->grep_len);
				/* The pattern is a C string: no NUL inside. */
				if (x->grep && memchr(x->grep, '\0', x->grep_len))
					r.bad = true;
			}
		}
		if (h->version >= 3) {
			uint8_t has_view;
			GET(&r, has_view);
			GET(&r, x->view_id_len);
			/* A view has an id; no view, no id. */
			if (has_view > 1 || x->view_id_len > HO_STR_MAX ||
			    !has_view != !x->view_id_len)
				r.bad = true;
			const char *id = bytes(&r, x->view_id_len);
			GET(&r, x->view_name_len);
			if (x->view_name_len > HO_STR_MAX ||
			    (!has_view && x->view_name_len))
				r.bad = true;
			const char *name = bytes(&r, x->view_name_len);
			GET(&r, x->uid_only);
			GET(&r, x->uid);
			if (x->uid_only > 1 || (x->uid_only && has_view))
				r.bad = true;
			/* C strings once copied: no NUL inside. */
			if (!r.bad && has_view) {
				if (memchr(id, '\0', x->view_id_len) ||
				    memchr(name, '\0', x->view_name_len))
					r.bad = true;
				x->view_id = id;
				x->view_name = name;
			}
		}
		GET(&r, x->req_len);
		if (x->req_len > HO_STR_MAX + 1)
			r.bad = true;
		x->req = bytes(&r, x->req_len);
		GET(&r, x->out_len);
		x->out = bytes(&r, x->out_len);
	}
	if (h->version >= 3 && !r.bad) {
		GET(&r, h->nviews);
		if (h->nviews > (len - r.at) / 4)
			r.bad = true;
		else if (!(h->views = calloc(h->nviews ? h->nviews : 1,
					     sizeof(*h->views)))) {
			handover_free(h);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < h->nviews && !r.bad; i++) {
			GET(&r, h->views[i]);
			if (h->views[i] < 0)
				r.bad = true;
		}
		GET(&r, h->uid_since_fd);
		if (h->uid_since_fd < -1)
			r.bad = true;
	}
	if (r.bad || r.at != len) {
		handover_free(h);
		return -EBADMSG;
	}
	return 0;
}

void handover_free(struct handover *h)
{
	free(h->sources);
	free(h->readers);
	free(h->views);
	h->sources = NULL;
	h->readers = NULL;
	h->views = NULL;
}
