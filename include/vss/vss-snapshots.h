/* vss-snapshots.h — the snapshots on this machine, across processes.
 *
 * Every snapshot set is recorded in the state directory while it exists
 * (/var/lib/vss as root, $XDG_STATE_HOME/vss otherwise, VSS_STATE_DIR), so
 * persistent snapshots can be listed and deleted by any process, and the
 * leftovers of a requester that died are found and removed. */
#pragma once

#include <glib.h>
#include <vss/vss-backup-components.h>

G_BEGIN_DECLS

/* Every recorded snapshot (persistent ones, and those of sets being made
 * right now), as VssSnapshotProp; free with g_ptr_array_unref. */
GPtrArray *vss_snapshots_list (GError **error);

/* Deletes the snapshot with @id, or every snapshot of the set with that
 * id.  VSS_ERROR_OBJECT_NOT_FOUND when neither exists;
 * VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS for a set still being made. */
gboolean vss_snapshots_delete (const char *id, GError **error);

/* Removes what requesters that died left behind (non-persistent snapshots
 * of sets whose process is gone); returns how many snapshots were removed.
 * libvss calls it itself at start_snapshot_set. */
guint vss_snapshots_clean_stale (GError **error);

/* Is a snapshot set being made on this machine right now?  TRUE with the
 * maker's pid, program name and set id (each may be NULL to skip). */
gboolean vss_snapshots_get_set_in_progress (gint64 *out_pid, char **out_program, char **out_set_id);

G_END_DECLS
