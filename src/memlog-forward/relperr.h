/* Words for librelp's error codes. librelp 1.11 reports errors as numbers
 * only (RELP_RET_*, RELPERR_BASE + n) and has no function that turns
 * them into text, so this table does, from the meanings librelp.h gives
 * them. Pure. */
#ifndef FORWARD_RELPERR_H
#define FORWARD_RELPERR_H

#include <stddef.h> /* librelp.h needs size_t and does not include it */

#include <librelp.h>

#define RELP_ERR_TEXT_MAX 32 /* room for "librelp error N" */

/* The text for code: a constant string, or for a code this table does not
 * know "librelp error N" written into buf. */
const char *relp_err_text(relpRetVal code, char buf[RELP_ERR_TEXT_MAX]);

#endif
