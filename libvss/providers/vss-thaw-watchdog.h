/* vss-thaw-watchdog.h — the process that thaws a frozen filesystem when
 * the process that froze it dies or overstays.
 *
 * A filesystem frozen with FIFREEZE stays frozen until someone calls
 * FITHAW: the freeze belongs to the filesystem, not to a file descriptor
 * or a process.  If the freezer is killed (SIGKILL, the OOM killer) every
 * writer of the filesystem hangs for good.  So before freezing, the
 * freezer forks a watchdog — a process, since a thread dies with the
 * process — that holds its own descriptor of the filesystem and one end
 * of a socket pair whose other end the freezer holds.  It thaws the
 * filesystem when
 *  - the socket reaches end of file without a "thawed" message (the
 *    freezer died: the kernel closed its end), or
 *  - the deadline passes (the freezer overstays the hold limit),
 * then kills the command's process group it was told about, and exits.
 * When the freezer thaws by itself it says so, and the watchdog exits
 * without touching the filesystem. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct {
  pid_t pid;          /* the watchdog process, 0 when none */
  int socket_fd;        /* our end of the socket pair, -1 when closed */
} VssThawWatchdog;

/* Forks the watchdog for the filesystem of @fs_fd, bounded by @deadline_usec
 * (g_get_monotonic_time clock, shared by every process).  Call it before
 * FIFREEZE. */
gboolean vss_thaw_watchdog_start (VssThawWatchdog *self, int fs_fd, gint64 deadline_usec,
                                  GError **error);

/* The watchdog also kills process group @pgid (the snapshot command) when
 * it has to thaw. */
void vss_thaw_watchdog_watch_group (VssThawWatchdog *self, pid_t pgid);

/* Ends the watchdog and waits for it to exit.  @thawed: the filesystem
 * needs nothing more from it (thawed by the caller, or never frozen), so it
 * exits untouched; FALSE when the caller's FITHAW failed: it is left to
 * thaw (and kill the command's group) at once, as if the caller had died. */
void vss_thaw_watchdog_stop (VssThawWatchdog *self, gboolean thawed);

G_END_DECLS
