#include "opt.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/un.h>

/* One run of opt_parse. */
struct parse {
	const struct opt_table *t;
	int argc;
	char *const *argv;
	int i;              /* the word being read */
	void *base;
	char *err;
	size_t errlen;
	int hint_at;        /* the word after an optional-value option given
			     * alone, which an error about it explains */
	const char *hint_name;
};

/* A reason quotes the user's words, which may hold any byte: control
 * characters become '?', so that it stays one line that cannot drive a
 * terminal. */
static enum opt_result one_line(struct parse *p)
{
	for (char *c = p->err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return OPT_USAGE;
}

__attribute__((format(printf, 2, 3)))
static enum opt_result fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return one_line(p);
}

/* How messages and --help write a name: one-letter names with one dash
 * ("-n"), the others as the table says ("--max-lines" or "-lines"). */
static const char *dash(const struct opt_table *t, const char *name)
{
	return name[0] && name[1] ? t->dash : "-";
}

static bool is_letter_name(const char *name)
{
	return name && name[0] && !name[1];
}

static bool takes_value(const struct opt *o)
{
	return o->kind == OPT_STR || o->kind == OPT_NUM ||
	       o->kind == OPT_SIZE || o->kind == OPT_FUNC;
}

static bool name_is(const char *name, const char *s, size_t len)
{
	return name && strlen(name) == len && memcmp(name, s, len) == 0;
}

static bool name_starts(const char *name, const char *s, size_t len)
{
	return name && strlen(name) > len && memcmp(name, s, len) == 0;
}

/* The row of a one-letter name c, or NULL. */
static const struct opt *letter_row(const struct opt_table *t, char c,
				    const char **name)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct opt *o = &t->opts[i];

		if (is_letter_name(o->name) && o->name[0] == c)
			*name = o->name;
		else if (is_letter_name(o->alias) && o->alias[0] == c)
			*name = o->alias;
		else
			continue;
		return o;
	}
	return NULL;
}

/* The row that s[0..len) names: the row with that exact name, else the
 * one row that has a name starting with it, as getopt_long() finds it.
 * Several such rows: *o stays NULL and err lists them. */
static enum opt_result lookup(struct parse *p, const char *s, size_t len,
			      const struct opt **o, const char **name)
{
	const struct opt_table *t = p->t;
	const struct opt *hit = NULL;
	bool many = false;

	*o = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct opt *r = &t->opts[i];

		if (name_is(r->name, s, len) || name_is(r->alias, s, len)) {
			*o = r;
			*name = name_is(r->name, s, len) ? r->name : r->alias;
			return OPT_RUN;
		}
		if (len && (name_starts(r->name, s, len) ||
			    name_starts(r->alias, s, len))) {
			many |= hit != NULL;
			hit = r;
		}
	}
	if (!many) {
		*o = hit;
		if (hit)
			*name = name_starts(hit->name, s, len) ? hit->name
								: hit->alias;
		return OPT_RUN;
	}
	size_t n = (size_t)snprintf(p->err, p->errlen,
				    "ambiguous option: %s (could be",
				    p->argv[p->i]);
	const char *sep = " ";
	for (size_t i = 0; i < t->n && n < p->errlen; i++) {
		const struct opt *r = &t->opts[i];
		const char *nm = name_starts(r->name, s, len) ? r->name :
				 name_starts(r->alias, s, len) ? r->alias : NULL;
		if (!nm)
			continue;
		n += (size_t)snprintf(p->err + n, p->errlen - n, "%s%s%s", sep,
				      dash(t, nm), nm);
		sep = ", ";
	}
	if (n < p->errlen)
		snprintf(p->err + n, p->errlen - n, ")");
	return one_line(p);
}

static const char *default_bad(const struct opt *o)
{
	switch (o->kind) {
	case OPT_BOOL:
		return " takes true or false";
	case OPT_NUM:
	case OPT_SIZE:
		return ": bad number";
	default:
		return ": bad value";
	}
}

/* Stores val (NULL: the option came without one) as o says. */
static enum opt_result store(struct parse *p, const struct opt *o,
			     const char *name, const char *val)
{
	void *field = (char *)p->base + o->off;
	uint64_t v;
	bool b = true;
	int r = 0;

	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)field = true;
		break;
	case OPT_BOOL:
		r = val ? parse_bool(val, &b) : 0;
		if (r == 0)
			*(bool *)field = b;
		break;
	case OPT_STR:
		if (strlen(val) < o->min)
			return fail(p, "%s%s needs a value", dash(p->t, name),
				    name);
		*(const char **)field = val;
		break;
	case OPT_OPTIONAL:
		*(const char **)field = val && *val ? val : o->dflt;
		break;
	case OPT_NUM:
	case OPT_SIZE:
		r = o->kind == OPT_SIZE ? parse_size(val, o->max, &v)
					: parse_u64(val, o->max, &v);
		if (r == 0 && v < o->min)
			r = -ERANGE;
		if (r == 0 && o->type == OPT_T_U32)
			*(uint32_t *)field = (uint32_t)v;
		else if (r == 0)
			*(uint64_t *)field = v;
		break;
	case OPT_FUNC:
		r = o->parse(val, field);
		break;
	case OPT_HELP:
		return OPT_HELP_ASKED;
	case OPT_VERSION:
		return OPT_VERSION_ASKED;
	}
	if (r < 0)
		return fail(p, "%s%s%s: %s", dash(p->t, name), name,
			    o->bad ? o->bad : default_bad(o), val);
	return OPT_RUN;
}

/* A separate word is taken as an optional value only where it cannot mean
 * anything else: no operands are allowed, and it is written as a path. */
static bool optional_value_word(const struct parse *p, const char *w)
{
	return !p->t->command && (w[0] == '/' || strncmp(w, "./", 2) == 0 ||
				  strncmp(w, "../", 3) == 0);
}

/* Option o, written as name, with the value val written in the same word
 * (NULL: none there; then a value may be the next word). */
static enum opt_result apply(struct parse *p, const struct opt *o,
			     const char *name, const char *val)
{
	const char *next = p->i + 1 < p->argc ? p->argv[p->i + 1] : NULL;

	switch (o->kind) {
	case OPT_FLAG:
	case OPT_HELP:
	case OPT_VERSION:
		if (val)
			return fail(p, "%s%s takes no value", dash(p->t, name),
				    name);
		break;
	case OPT_OPTIONAL:
		if (!val && next && optional_value_word(p, next)) {
			val = next;
			p->i++;
		} else if (!val) {
			p->hint_at = p->i + 1;
			p->hint_name = name;
		}
		break;
	case OPT_BOOL:
		break;
	default:
		if (!val && !next)
			return fail(p, "%s%s needs a value", dash(p->t, name),
				    name);
		if (!val) {
			val = next;
			p->i++;
		}
	}
	return store(p, o, name, val);
}

/* "-fF", "-n5": one-letter options in one word; the first that takes a
 * value takes the rest of the word, or the next word. */
static enum opt_result letters(struct parse *p, const char *s)
{
	for (; *s; s++) {
		const char *name = NULL;
		const struct opt *o = letter_row(p->t, *s, &name);
		enum opt_result r;

		if (!o)
			return fail(p, "unknown option: %s", p->argv[p->i]);
		if (takes_value(o))
			return apply(p, o, name, s[1] ? s + 1 : NULL);
		r = apply(p, o, name, NULL);
		if (r != OPT_RUN)
			return r;
	}
	return OPT_RUN;
}

static enum opt_result option_word(struct parse *p)
{
	const char *w = p->argv[p->i];
	const char *s = w + (w[1] == '-' ? 2 : 1);
	const char *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : strlen(s);
	const struct opt *o;
	const char *name = NULL;

	if (lookup(p, s, len, &o, &name) != OPT_RUN)
		return OPT_USAGE;
	if (o)
		return apply(p, o, name, eq ? eq + 1 : NULL);
	/* As getopt_long_only(): a one-dash word that names no option is
	 * a group of one-letter options if it starts with one. */
	if (w[1] != '-' && letter_row(p->t, s[0], &name))
		return letters(p, s);
	return fail(p, "unknown option: %s", w);
}

enum opt_result opt_parse(const struct opt_table *t, int argc,
			  char *const argv[], void *base, int *operand,
			  char *err, size_t errlen)
{
	struct parse p = {
		.t = t, .argc = argc, .argv = argv, .base = base,
		.err = err, .errlen = errlen,
	};
	int first = 0;  /* the first operand; 0: none */
	bool opts_end = false;

	*operand = argc;
	for (p.i = 1; p.i < argc; p.i++) {
		const char *w = argv[p.i];

		if (!opts_end && strcmp(w, "--") == 0) {
			opts_end = true;
			if (t->command) {
				*operand = p.i + 1;
				return OPT_RUN;
			}
		} else if (opts_end || w[0] != '-' || w[1] == '\0') {
			if (t->command) {
				*operand = p.i;
				return OPT_RUN;
			}
			if (!first)
				first = p.i;
		} else {
			enum opt_result r = option_word(&p);
			if (r != OPT_RUN)
				return r;
		}
	}
	if (!first)
		return OPT_RUN;
	if (first == p.hint_at)
		return fail(&p, "unexpected argument: %s (a value of %s%s is "
			    "written %s%s=%s)", argv[first],
			    dash(t, p.hint_name), p.hint_name,
			    dash(t, p.hint_name), p.hint_name, argv[first]);
	return fail(&p, "unexpected argument: %s", argv[first]);
}

void opt_help(const struct opt_table *t, FILE *out)
{
	bool letters = false;

	for (size_t i = 0; i < t->n; i++)
		letters |= t->opts[i].help &&
			   (is_letter_name(t->opts[i].name) ||
			    is_letter_name(t->opts[i].alias));
	for (size_t i = 0; i < t->n; i++) {
		const struct opt *o = &t->opts[i];
		const char *one = is_letter_name(o->name) ? o->name :
				  is_letter_name(o->alias) ? o->alias : NULL;
		const char *full = !is_letter_name(o->name) ? o->name :
				   o->alias && !is_letter_name(o->alias) ? o->alias
									 : NULL;
		int n;

		if (!o->help)
			continue;
		if (o->heading)
			fputs(o->heading, out);
		n = fprintf(out, "  ");
		if (one)
			n += fprintf(out, "-%s%s", one, full ? ", " : "");
		else if (letters)
			n += fprintf(out, "    ");
		if (full)
			n += fprintf(out, "%s%s", t->dash, full);
		if (o->arg)
			n += fprintf(out, o->kind == OPT_OPTIONAL ? "[=%s]" : " %s",
				     o->arg);
		/* Two spaces at least between the option and its text. */
		if (n > t->help_col - 2) {
			fputc('\n', out);
			n = 0;
		}
		fprintf(out, "%*s", t->help_col - n, "");
		for (const char *h = o->help; *h; h++) {
			fputc(*h, out);
			if (*h == '\n')
				fprintf(out, "%*s", t->help_col, "");
		}
		fputc('\n', out);
	}
}

static bool type_fits(const struct opt *o)
{
	switch (o->kind) {
	case OPT_FLAG:
	case OPT_BOOL:
		return o->type == OPT_T_BOOL;
	case OPT_STR:
		return o->type == OPT_T_STR;
	case OPT_OPTIONAL:
		return o->type == OPT_T_STR && o->dflt;
	case OPT_NUM:
	case OPT_SIZE:
		return o->min <= o->max &&
		       ((o->type == OPT_T_U32 && o->max <= UINT32_MAX) ||
			o->type == OPT_T_U64);
	case OPT_FUNC:
		return o->parse && o->bad;
	case OPT_HELP:
	case OPT_VERSION:
		return true;
	}
	return false;
}

/* Name number k of a table: the name of row k / 2, or its alias. */
static const char *nth_name(const struct opt_table *t, size_t k)
{
	return k % 2 ? t->opts[k / 2].alias : t->opts[k / 2].name;
}

int opt_table_check(const struct opt_table *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct opt *o = &t->opts[i];

		if (!o->name || !o->name[0]) {
			snprintf(err, errlen, "row %zu has no name", i);
			return -EINVAL;
		}
		if (!type_fits(o)) {
			snprintf(err, errlen, "%s: kind, field or bounds do "
				 "not fit", o->name);
			return -EINVAL;
		}
	}
	for (size_t a = 0; a < 2 * t->n; a++)
		for (size_t b = a + 1; b < 2 * t->n; b++) {
			const char *x = nth_name(t, a), *y = nth_name(t, b);

			if (x && y && strcmp(x, y) == 0) {
				snprintf(err, errlen, "name %s used twice", x);
				return -EINVAL;
			}
		}
	return 0;
}

enum opt_result opt_parse_main(const struct opt_table *t, int argc,
			       char *const argv[], void *base, int *operand,
			       char *err, size_t errlen, FILE *out)
{
	enum opt_result r = opt_parse(t, argc, argv, base, operand, err,
				      errlen);

	if (r == OPT_HELP_ASKED) {
		fputs(t->usage_head ? t->usage_head : "", out);
		opt_help(t, out);
		fputs(t->usage_tail ? t->usage_tail : "", out);
	} else if (r == OPT_VERSION_ASKED) {
		fprintf(out, "%s memlog %s\n", t->prog ? t->prog : "?",
			MEMLOG_VERSION);
	}
	return r;
}

int opt_unix_path(const char *name, const char *path, char *err,
		  size_t errlen)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (strlen(path) <= max)
		return 0;
	snprintf(err, errlen, "%s: the path is longer than a unix socket's "
		 "%zu bytes", name, max);
	return -ENAMETOOLONG;
}
