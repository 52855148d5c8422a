/* --pager: logread's standard output through $PAGER (or less) when it is
 * a terminal, as journalctl does; off unless asked, so scripts and
 * LinuxKit users see no change. */
#ifndef LOGREAD_PAGER_H
#define LOGREAD_PAGER_H

#include <sys/types.h>

/* Starts the pager with stdout going to it. Returns its pid, 0 when no
 * pager is started (stdout is not a terminal, or PAGER is empty or
 * "cat"), or -errno. */
pid_t pager_start(void);

/* Closes stdout and waits for the pager (pid > 0), so that the reader
 * has all the output before logread exits. */
void pager_wait(pid_t pid);

#endif
