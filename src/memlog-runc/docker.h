/* Docker's own files, for a container Docker created: where Docker's data
 * root is, what memlog-runc takes from the container's config.v2.json
 * (name, one label, image) and whether its image carries a label. Pure:
 * works on the spec and on file text; main.c reads the files.
 *
 * Paths come only from what dockerd wrote (config.json's mounts, the
 * Driver and Image of config.v2.json), never from the container or its
 * image, and each part is checked to be one plain path component. */
#ifndef MEMLOG_RUNC_DOCKER_H
#define MEMLOG_RUNC_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "cname.h"

/* Longest value of a label memlog-runc reads (longer: taken as invalid). */
#define DOCKER_LABEL_MAX 63

/* Docker's data root, from the bind mounts Docker gives every container:
 * /etc/hostname, /etc/hosts and /etc/resolv.conf from
 * ROOT/containers/CID/hostname, hosts, resolv.conf (CID: 64 hex digits;
 * this container's id, or with --network container:X, X's). ROOT must be
 * absolute, without "." or ".." components. Writes ROOT, NUL-terminated,
 * to out (cap bytes). Returns its length, -ENOENT if no mount is Docker's,
 * -ENAMETOOLONG if it does not fit. */
int docker_root_from_spec(const json_t *spec, char *out, size_t cap);

/* What memlog-runc takes from ROOT/containers/ID/config.v2.json. */
struct docker_ctr {
	char name[CNAME_MAX + 1]; /* "Name" without its "/", cleaned; "" if none */
	int name_len;             /* its length, or -ENOENT */
	bool has_label;           /* Config.Labels has the key asked for */
	char label[DOCKER_LABEL_MAX + 1]; /* its value (cut: label_len says) */
	size_t label_len;         /* its length, which may exceed DOCKER_LABEL_MAX */
	char image[65];           /* "Image" as 64 hex digits ("sha256:" gone),
				   * or "" if it is not that */
	char driver[64];          /* "Driver", if one safe path component, else "" */
};

/* Parses config.v2.json's text; label_key: the label to look up. Returns
 * 0, or -EINVAL if it is not a JSON object (out is then empty). */
int docker_ctr_parse(const char *text, size_t len, const char *label_key,
		     struct docker_ctr *out);

/* Does the image config (ROOT/image/DRIVER/imagedb/content/sha256/HEX)
 * carry the label key in config.Labels? 1 or 0; -EINVAL if it is not an
 * image config (not a JSON object). Image labels are merged into the
 * container's, so a container label that the image also has may have come
 * from the image. */
int docker_image_has_label(const char *text, size_t len, const char *key);

#endif
