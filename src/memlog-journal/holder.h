/* memlog-journal's side of the fd holder: connecting to the one
 * memlog-init started, and starting a new one when it died. */
#ifndef MEMLOG_JOURNAL_HOLDER_H
#define MEMLOG_JOURNAL_HOLDER_H

/* Connects to the holder at path. A holder whose session belongs to
 * another live process (another memlog-journal: two must never deliver at
 * once) is refused with -EADDRINUSE once that stayed so for a second;
 * memlog-init's session (pid 1 after it executed systemd) is not one.
 * Returns the session socket, or negative errno (-ENOENT, -ECONNREFUSED:
 * no holder there). */
int jholder_connect(const char *path);

/* Starts a new holder at path and connects to it. Under systemd it runs as
 * a transient service of its own (systemd-run --unit=UNIT): a child of the
 * agent would be in the agent's cgroup, which systemd kills whenever the
 * agent stops. Elsewhere it is started directly (fdhold_spawn; it leaves
 * the agent's session). binary: the holder program. Returns the session
 * socket or negative errno. */
int jholder_respawn(const char *path, const char *binary, const char *unit);

#endif
