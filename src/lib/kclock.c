#include "kclock.h"

void kclock_sample(struct kclock *c, uint64_t mono_us, uint64_t rec_us)
{
	int64_t off = (int64_t)(mono_us - rec_us);

	if (!c->known) {
		c->known = true;
		c->cur = off;
		c->window_start = mono_us;
		return;
	}
	if (mono_us - c->window_start >= KCLOCK_WINDOW_US) {
		c->prev = c->cur;
		c->prev_known = true;
		c->cur = off;
		c->window_start = mono_us;
		return;
	}
	if (off < c->cur)
		c->cur = off;
}

bool kclock_mono(const struct kclock *c, uint64_t rec_us, uint64_t *mono_us)
{
	if (!c->known)
		return false;
	int64_t off = c->prev_known && c->prev < c->cur ? c->prev : c->cur;
	*mono_us = rec_us + (uint64_t)off;
	return true;
}
