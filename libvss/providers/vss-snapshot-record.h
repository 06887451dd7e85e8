/* vss-snapshot-record.h — one snapshot set as recorded in the state
 * directory: <state dir>/sets/<set id>.json.
 *
 * {"snapshot_set_id": "…", "context": "backup", "pid": 1234,
 *  "start_time": 98765, "program": "vss",
 *  "snapshots": [{"snapshot_id": "…", "original_path": "/srv/data",
 *                 "snapshot_path": "/srv/.vss-snapshots/…" or null,
 *                 "storage_path": "…" or null, "provider": "reflink",
 *                 "created_usec": 0, "committed": false,
 *                 "provider_data": "…" (optional: fsfreeze's command)}]}
 *
 * pid and start_time (field 22 of /proc/PID/stat, clock ticks since boot)
 * name the creating process: a pid alone may have been reused. */
#pragma once

#include "vss-provider.h"
#include "util/vss-process.h"

G_BEGIN_DECLS

typedef struct {
  char *snapshot_set_id;
  VssSnapshotContext context;
  gint64 pid;
  guint64 start_time;
  char *program;
  GPtrArray *snapshots;       /* VssSnapshot */
} VssSetRecord;

void vss_set_record_free (VssSetRecord *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSetRecord, vss_set_record_free)

/* An empty record of a set made by this process. */
VssSetRecord *vss_set_record_new_here (const char *snapshot_set_id, VssSnapshotContext context);

/* <state dir>/sets */
char *vss_set_record_dir (void);
char *vss_set_record_path (const char *snapshot_set_id);

/* Parses a record file; VSS_ERROR_INVALID_DOCUMENT naming the file and
 * what is wrong (a provider this libvss does not know included). */
VssSetRecord *vss_set_record_load (const char *path, GError **error);
/* Writes (vss_fs_write_atomic) or, with no snapshots, deletes the file. */
gboolean vss_set_record_save (const VssSetRecord *self, GError **error);

/* Is the process that made the record still running? */
gboolean vss_set_record_creator_alive (const VssSetRecord *self);

G_END_DECLS
