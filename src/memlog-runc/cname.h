/* The container's source name in memlogd: where it comes from (the
 * engine's annotations in config.json, the container id; Docker's own
 * container config is read in docker.c) and how it is made safe for a
 * registration. Pure. */
#ifndef MEMLOG_RUNC_CNAME_H
#define MEMLOG_RUNC_CNAME_H

#include <stddef.h>
#include <jansson.h>

#include "regmsg.h"

/* The longest NAME: stdout is registered as NAME.out, and memlogd keeps at
 * most REG_NAME_MAX bytes of a name. */
#define CNAME_MAX (REG_NAME_MAX - 4)

/* The name from the spec's "annotations" object. rules is the configured
 * name_annotations array: each element is either a string, an annotation
 * key, or an array of keys, all of which must be present, whose values are
 * joined with "/" (for Kubernetes: namespace/pod/container). The first
 * element that yields a non-empty name wins. The name is cleaned
 * (cname_clean) into out (CNAME_MAX + 1 bytes). Returns its length, or
 * -ENOENT if no element applies. */
int cname_from_annotations(const json_t *spec, const json_t *rules,
			   char out[CNAME_MAX + 1]);

/* The name from the container id: an id of 64 hex digits (what Docker,
 * Podman and containerd's CRI generate) is cut to id_length characters
 * (Docker's short id with 12; 0 keeps it whole); any other id was chosen
 * by a person (ctr run IMAGE web) and is kept whole. Returns the length,
 * or -ENOENT if the id is empty. */
int cname_from_id(const char *id, unsigned id_length, char out[CNAME_MAX + 1]);

/* Is id safe as one path component (for DOCKER_ROOT/containers/ID)? */
int cname_id_is_path_safe(const char *id);

/* Copies len bytes of in into out as a name memlogd takes and a person can
 * read: control characters (NUL, newline...) become '_', and a name longer
 * than CNAME_MAX is cut there, never inside a UTF-8 character.
 * NUL-terminates; returns the length. */
size_t cname_clean(const char *in, size_t len, char out[CNAME_MAX + 1]);

#endif
