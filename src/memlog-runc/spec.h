/* The bundle's config.json (the OCI runtime spec), as memlog-runc reads
 * and edits it. Pure: works on text and json_t, no files.
 *
 * The edit must never change what runc reads apart from the one field it
 * sets, so parsing is strict where jansson and Go's encoding/json (runc)
 * could disagree: a document jansson cannot hold exactly (an integer
 * beyond int64, as in a uint64 field; invalid UTF-8; a duplicate key) is
 * refused, and the caller then leaves the file as it is. */
#ifndef MEMLOG_RUNC_SPEC_H
#define MEMLOG_RUNC_SPEC_H

#include <stddef.h>
#include <jansson.h>

/* config.json larger than this is left alone (engines write a few KiB). */
#define SPEC_MAX_BYTES (16u << 20)

/* Parses config.json. Returns the document or NULL with the reason in why
 * (cap bytes, NUL-terminated). */
json_t *spec_parse(const char *text, size_t len, char *why, size_t cap);

/* The document as compact JSON (malloc'd, NUL-terminated), or NULL. */
char *spec_dump(const json_t *spec);

/* Host default for the PID limit: sets linux.resources.pids.limit to limit
 * when the engine left it unset (absent, null or 0, which runc treats as
 * unset), creating the objects on the way. A limit the engine set,
 * including -1 (explicitly unlimited), is kept. Returns 1 if the spec was
 * changed, 0 if not, -EINVAL if the spec's shape does not allow it (linux,
 * resources or pids not an object, limit not an integer): then it is not
 * changed. limit <= 0 changes nothing. *old gets the limit found (0 if
 * unset) when old is non-NULL. */
int spec_pids_default(json_t *spec, json_int_t limit, json_int_t *old);

/* The per-container setting of the PID default: an annotation in
 * config.json (podman/nerdctl/ctr --annotation, docker run --annotation
 * since Docker 24) or, for Docker, a container label of that name. */
#define SPEC_PIDS_KEY "memlog.pids-limit"

enum pids_setting {
	PIDS_SETTING_NONE,      /* not given: the host default applies */
	PIDS_SETTING_UNLIMITED, /* "unlimited", "-1" or "0": no default */
	PIDS_SETTING_INVALID,   /* anything else: the default applies */
};

/* The value of a setting (len bytes; NULL: not given). */
enum pids_setting pids_setting_parse(const char *v, size_t len);

/* The string value of annotation key in config.json, or NULL (absent, or
 * not a string). */
const json_t *spec_annotation(const json_t *spec, const char *key);

/* Appends a hook {"path": path, "args": args (NULL-terminated),
 * "timeout": timeout_s} to hooks.KIND (e.g. "createRuntime"), creating
 * the objects on the way. Returns 0, or -EINVAL if hooks or hooks.KIND
 * has the wrong type (the spec is then unchanged), -ENOMEM. */
int spec_add_hook(json_t *spec, const char *kind, const char *path,
		  const char *const *args, int timeout_s);

/* Appends a bind mount of source at destination to "mounts". Returns 0,
 * -EINVAL if mounts is not an array, -ENOMEM. */
int spec_add_bind(json_t *spec, const char *source, const char *destination);

/* Does the container have a terminal (process.terminal)? 1 or 0, or
 * -EINVAL if process or terminal has the wrong type. */
int spec_terminal(const json_t *spec);

#endif
