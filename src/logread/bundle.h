/* logread --bundle FILE: one gzip-compressed tar archive for a report,
 * made of ONE dump of memlogd (the request logread built, with every
 * selection it has, format=binary) so that it is consistent:
 *
 *   memlog-bundle-TIME/manifest.json  what the bundle holds and what was
 *                                     lost (manifest.h)
 *   memlog-bundle-TIME/stats.json     memlogd's stats, asked on a second
 *                                     connection right after the dump
 *   memlog-bundle-TIME/sources.json   their "sources" list
 *   memlog-bundle-TIME/kernel.ndjson  the kernel's entries with their
 *                                     attributes (logwrite's json format)
 *   memlog-bundle-TIME/logs/BASE.log  one file per source, named and
 *                                     written as logwrite's text files
 *                                     (client/name.h, client/format.h)
 *
 * Streamed, bounded in memory: the dump is read record by record and each
 * file's lines go into its own unlinked temporary file (O_TMPFILE in
 * $TMPDIR, else /tmp); a tar entry needs its size first, so the files go
 * into the archive once the dump has ended. At most BUNDLE_FILES_MAX
 * temporary files: the entries of further sources all go into
 * logs/more-sources.log (the text format names each line's source), and
 * the manifest says which sources went there. memlogd is never blocked:
 * the dump is read as fast as the disk takes it, like any reader. */
#ifndef LOGREAD_BUNDLE_H
#define LOGREAD_BUNDLE_H

#include <stddef.h>

#define BUNDLE_FILES_MAX 256          /* temporary files, kernel's included */
#define BUNDLE_STATS_MAX (64u << 20)  /* longest stats answer taken */

struct bundle_opts {
	const char *path;            /* the archive; "-": standard output */
	const char *socket;          /* the query socket (stats) */
	const char *request;         /* the dump request sent (its line) */
	const char *const *redact;   /* --redact patterns */
	unsigned nredact;
};

/* Reads the dump from sock (the request sent already; sock is closed) and
 * writes the bundle. Messages go to stderr. Returns logread's exit code;
 * on failure a FILE it created is removed. */
int bundle_take(const struct bundle_opts *o, int sock);

#endif
