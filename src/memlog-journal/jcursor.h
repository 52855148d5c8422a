/* The journal's cursor strings, read for what they say about an entry's
 * place: "s=SEQNUM_ID;i=SEQNUM;b=BOOT_ID;m=MONOTONIC;t=REALTIME;x=XOR" (hex
 * numbers, 128-bit ids as 32 hex digits), as sd_journal_get_cursor() writes
 * them. The agent never builds a cursor; it keeps the journal's and parses
 * one only to say what a gap lost. Pure. */
#ifndef MEMLOG_JOURNAL_JCURSOR_H
#define MEMLOG_JOURNAL_JCURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest cursor kept (the journal's are about 150 bytes). */
#define JCURSOR_MAX 512

enum {
	JCURSOR_HAS_SEQNUM = 1u << 0,    /* s= and i= */
	JCURSOR_HAS_BOOT = 1u << 1,      /* b= and m= */
	JCURSOR_HAS_REALTIME = 1u << 2,  /* t= */
};

struct jcursor {
	unsigned has;          /* JCURSOR_HAS_* */
	char seqnum_id[33];    /* lower-case hex, NUL-terminated */
	uint64_t seqnum;
	char boot_id[33];
	uint64_t monotonic_us;
	uint64_t realtime_us;
};

/* Parses len bytes. Items are "K=VALUE" separated by ';'; unknown one-letter
 * keys are skipped (as sd-journal does), a known one with a malformed value
 * is an error. Returns 0 or -EINVAL (also for an empty cursor, one longer
 * than JCURSOR_MAX, or one without any known item). *c is written only on
 * success. */
int jcursor_parse(const char *s, size_t len, struct jcursor *c);

/* How many entries lie strictly between a and b, when both carry sequence
 * numbers of the same series and b comes after a; else -1. */
int64_t jcursor_between(const struct jcursor *a, const struct jcursor *b);

#endif
