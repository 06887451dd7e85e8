/* vss-snapshot-lock.h — one snapshot set in creation per machine.
 *
 * An flock()ed file in the runtime directory, held from
 * start_snapshot_set until do_snapshot_set returns.  The kernel drops the
 * lock when the holder dies, so a crashed requester never blocks the next.
 * The file also says who holds it, for `vss status`. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VssSnapshotLock VssSnapshotLock;

/* VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS naming the holder's pid and program
 * when another holds it. */
VssSnapshotLock *vss_snapshot_lock_acquire (const char *snapshot_set_id, GError **error);
void             vss_snapshot_lock_release (VssSnapshotLock *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSnapshotLock, vss_snapshot_lock_release)

/* Who holds it now: TRUE with the holder's pid, program and set id, or
 * FALSE when nobody does. */
gboolean vss_snapshot_lock_query (gint64 *out_pid, char **out_program, char **out_set_id);

G_END_DECLS
