/* vss-backup-components-private.h — the coordinator's state for one
 * backup, shared by the calls and their call-order checks
 * (vss-backup-components.c, vss-backup-components-async.c,
 * vss-backup-selection.c, vss-restore.c), the worker-thread plumbing
 * (vss-operation.c) and the event sequences (vss-backup-lifecycle.c). */
#pragma once

#include <vss/vss.h>

#include "document/vss-document-private.h"
#include "providers/vss-provider.h"
#include "vss-snapshot-lock.h"
#include "vss-writer-proxy.h"

G_BEGIN_DECLS

#define VSS_DEFAULT_EVENT_TIMEOUT_MS 60000
#define VSS_DEFAULT_HOLD_TIMEOUT_MS 10000
#define VSS_MAX_SNAPSHOTS_PER_SET 64

typedef enum {
  VSS_MODE_NONE,
  VSS_MODE_BACKUP,
  VSS_MODE_RESTORE,
} VssMode;

/* A step of the lifecycle that has been asked for / has finished. */
typedef enum {
  VSS_STEP_CONTEXT = 1 << 0,
  VSS_STEP_BACKUP_STATE = 1 << 1,
  VSS_STEP_GATHER_STARTED = 1 << 2,
  VSS_STEP_GATHERED = 1 << 3,
  VSS_STEP_SET_STARTED = 1 << 4,
  VSS_STEP_PREPARE_STARTED = 1 << 5,
  VSS_STEP_PREPARED = 1 << 6,
  VSS_STEP_SNAPSHOT_STARTED = 1 << 7,
  VSS_STEP_SNAPSHOT_DONE = 1 << 8,
  VSS_STEP_COMPLETE_STARTED = 1 << 9,
  VSS_STEP_COMPLETED = 1 << 10,
  VSS_STEP_ABORTED = 1 << 11,
  VSS_STEP_STATUS_GATHERED = 1 << 12,
  VSS_STEP_PRE_RESTORE_STARTED = 1 << 13,
  VSS_STEP_PRE_RESTORED = 1 << 14,
  VSS_STEP_POST_RESTORE_STARTED = 1 << 15,
  VSS_STEP_POST_RESTORED = 1 << 16,
} VssStep;

typedef gboolean (*VssOperationFunc) (VssBackupComponents *self, GCancellable *cancellable,
                                      GError **error);
/* Checks a call's preconditions and records that it started; called with
 * the lock held. */
typedef gboolean (*VssCheckFunc) (VssBackupComponents *self, GError **error);

struct _VssBackupComponents {
  GMutex lock;                  /* guards operation and steps */
  GCond operation_done;
  const char *operation;        /* name of the running asynchronous call, or NULL */
  GThread *operation_thread;    /* the VssAsync form's worker, joined at free */
  GCancellable *operation_cancellable;

  VssMode mode;
  guint steps;                  /* VssStep bits */

  guint event_timeout_ms;
  guint hold_timeout_ms;
  char *storage_dir;          /* set_storage_dir: where copies of the data go, or NULL */
  char *writer_path;            /* NULL: $VSS_WRITER_PATH or the default */
  char *writer_transport;       /* NULL: $VSS_WRITER_TRANSPORT or "helper" */

  VssDocument *document;
  gboolean bcd_writable;        /* writers may change their components now */
  GPtrArray *writers;           /* VssWriterProxy, every loaded writer */
  GPtrArray *metadata;          /* borrowed VssWriterMetadata of writers that identified */
  GPtrArray *statuses;          /* VssWriterStatus of the last gather_writer_status */
  GPtrArray *snapshots;         /* VssSnapshot */
  VssSnapshotLock *snapshot_lock;
  VssSnapshotTimings timings;
  VssWindowGateFunc window_gate;  /* vss-window-gate.c; NULL: none */
  gpointer window_gate_data;
};

/* ---- vss-backup-components.c ---- */
/* FALSE with VSS_ERROR_BAD_STATE while an asynchronous call runs; called
 * with the lock held. */
gboolean vss_backup_components_check_idle (VssBackupComponents *self, GError **error);

/* ---- vss-operation.c ---- */
/* Starts @func on a worker thread after marking @name as running; the
 * result lands in a new VssAsync stored in *out_async. */
gboolean vss_backup_components_run (VssBackupComponents *self, const char *name,
                                    VssCheckFunc check, VssOperationFunc func,
                                    VssAsync **out_async, GError **error);
/* The same for the _async/_finish forms. */
void     vss_backup_components_run_task (VssBackupComponents *self, const char *name,
                                         VssCheckFunc check, VssOperationFunc func,
                                         gpointer source_tag,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean vss_backup_components_task_finish (VssBackupComponents *self, GAsyncResult *result,
                                            gpointer source_tag, GError **error);
/* Cancels a running operation and waits for it to end. */
void     vss_backup_components_stop_operation (VssBackupComponents *self);

/* ---- vss-backup-lifecycle.c: the operations (run on a worker thread) ---- */
gboolean vss_lifecycle_gather_metadata (VssBackupComponents *self, GCancellable *c, GError **error);
gboolean vss_lifecycle_prepare_for_backup (VssBackupComponents *self, GCancellable *c, GError **error);
gboolean vss_lifecycle_do_snapshot_set (VssBackupComponents *self, GCancellable *c, GError **error);
gboolean vss_lifecycle_backup_complete (VssBackupComponents *self, GCancellable *c, GError **error);
gboolean vss_lifecycle_gather_status (VssBackupComponents *self, GCancellable *c, GError **error);
/* (these two are in vss-restore.c) */
gboolean vss_lifecycle_pre_restore (VssBackupComponents *self, GCancellable *c, GError **error);
gboolean vss_lifecycle_post_restore (VssBackupComponents *self, GCancellable *c, GError **error);
/* Thaws anything frozen, on_abort to every writer past prepare_backup,
 * deletes the snapshots, releases the snapshot-set lock.  Synchronous. */
void     vss_lifecycle_abort (VssBackupComponents *self);
/* on_backup_shutdown to the involved writers, non-persistent snapshots
 * deleted.  Synchronous; used by free. */
void     vss_lifecycle_shutdown (VssBackupComponents *self);

/* ---- vss-window-gate.c ---- */
/* Runs the window gate at @point (TRUE when there is none). */
gboolean vss_window_gate_pass (VssBackupComponents *self, VssWindowGatePoint point, GError **error);

G_END_DECLS
