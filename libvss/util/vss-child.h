/* vss-child.h — waiting for a child process of ours, bounded.
 *
 * A child that should end soon (a probe, a killed command) is waited for
 * with a deadline, never forever, and its exit is noticed the moment it
 * happens: through a pidfd (Linux 5.3) where there is one, else by
 * looking every 2 ms. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* A pidfd for @pid (readable once it exits; close it), or -1. */
int      vss_child_pidfd (pid_t pid);
/* Waits until @pid exits and reaps it (TRUE, its wait status in
 * *@status) or until @deadline_usec (monotonic) passes (FALSE: still
 * running, not reaped).  FALSE at once with errno ECHILD for a pid that is
 * no child to wait for: already reaped, by the kernel when the process
 * ignores SIGCHLD (its status is lost then). */
gboolean vss_child_wait_until (pid_t pid, gint64 deadline_usec, int *status);

G_END_DECLS
