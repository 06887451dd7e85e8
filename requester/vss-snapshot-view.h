/* vss-snapshot-view.h — running a command that sees the snapshot at the
 * original paths.
 *
 * The command runs in its own mount and PID namespaces (and, when vss is
 * not root, a user namespace mapping the user to themselves): "/" is made
 * private (MS_REC), each snapshot tree is bind-mounted read-only over the
 * path it was taken of, and a directory of set metadata (the BCD, the
 * writers' metadata) is bind-mounted read-only at VSS_VIEW_SET_DIR.  So
 * `restic backup /var/lib/ldap` inside reads the snapshot, and the path
 * is the same every run (restic finds its parent snapshot).  Nothing of
 * it is visible outside, and it all goes when the command's last process
 * exits.
 *
 * The command dies with `vss`: the process vss forks (the namespace's
 * keeper) has PR_SET_PDEATHSIG(SIGKILL) towards vss, the command (PID 1
 * of the new PID namespace) has it towards the keeper, and when a PID
 * namespace's init dies the kernel kills every process in it — so even
 * `kill -9` of vss leaves no process of the command and, with them, no
 * mount.  On its own exit paths (atexit, and SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT while the command runs) vss sends the keeper SIGTERM: it
 * SIGKILLs the command and exits once the namespace is empty. */
#pragma once

#include <glib.h>

/* Where the command finds bcd.json and writers/NAME.json. */
#define VSS_VIEW_SET_DIR "/run/vss/set"

typedef struct _VssSnapshotView VssSnapshotView;

VssSnapshotView *vss_snapshot_view_new (void);
void             vss_snapshot_view_free (VssSnapshotView *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSnapshotView, vss_snapshot_view_free)

/* Shows @snapshot (a file or directory) read-only at @original. */
void vss_snapshot_view_add (VssSnapshotView *self, const char *snapshot, const char *original);
/* Shows the directory @dir read-only at VSS_VIEW_SET_DIR. */
void vss_snapshot_view_set_metadata_dir (VssSnapshotView *self, const char *dir);

/* Starts @argv (argv[0] looked up in PATH) with @envp inside the view;
 * its stdout goes to @stdout_fd (-1: vss's own).  FALSE with @error
 * when the namespaces or a mount could not be made (nothing ran). */
gboolean vss_snapshot_view_spawn (VssSnapshotView *self, const char *const *argv,
                                  const char *const *envp, int stdout_fd, GError **error);
/* Waits for the command; its wait status (as waitpid gives it). */
int      vss_snapshot_view_wait (VssSnapshotView *self);
/* Ends the command and everything it started, if running (then wait). */
void     vss_snapshot_view_kill (VssSnapshotView *self);
