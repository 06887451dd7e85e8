/* vss-backup-components-async.c — the long calls (the five of a backup,
 * pre_restore and post_restore), each in its three forms (VssAsync,
 * _async and _finish), their call-order rules, and the reading of what
 * gather_writer_status gathered.  The work itself is in
 * vss-backup-lifecycle.c and vss-restore.c. */
#include "vss-state-private.h"
#include "vss-restore-private.h"

static gboolean
check_gather_metadata (VssBackupComponents *self, GError **error)
{
  const char *call = "gather_writer_metadata";
  if (!(vss_state_require_initialized (self, call, error) &&
        vss_state_require_not (self, VSS_STEP_GATHER_STARTED, call,
                               "may be called only once per VssBackupComponents", error)))
    return FALSE;
  self->steps |= VSS_STEP_GATHER_STARTED;
  return TRUE;
}

static gboolean
check_prepare_for_backup (VssBackupComponents *self, GError **error)
{
  const char *call = "prepare_for_backup";
  if (!(vss_state_require_backup (self, call, error) &&
        vss_state_require_writer_context (self, call, error) &&
        vss_state_require (self, VSS_STEP_BACKUP_STATE, call, "set_backup_state", error) &&
        vss_state_require (self, VSS_STEP_SET_STARTED, call, "start_snapshot_set", error) &&
        vss_state_require_gathered (self, call, error) &&
        vss_state_require_not (self, VSS_STEP_PREPARE_STARTED, call,
                               "may be called only once per VssBackupComponents", error) &&
        vss_state_require_not (self, VSS_STEP_ABORTED, call, "the backup was aborted", error)))
    return FALSE;
  self->steps |= VSS_STEP_PREPARE_STARTED;
  return TRUE;
}

static gboolean
check_do_snapshot_set (VssBackupComponents *self, GError **error)
{
  const char *call = "do_snapshot_set";
  if (!(vss_state_require_backup (self, call, error) &&
        vss_state_require (self, VSS_STEP_SET_STARTED, call, "start_snapshot_set", error) &&
        vss_state_require_not (self, VSS_STEP_SNAPSHOT_STARTED, call,
                               "may be called only once per snapshot set", error) &&
        vss_state_require_not (self, VSS_STEP_ABORTED, call, "the backup was aborted", error)))
    return FALSE;
  if (vss_snapshot_context_has_writers (self->document->context) &&
      !(vss_state_require_gathered (self, call, error) &&
        vss_state_require (self, VSS_STEP_PREPARED, call,
                           "prepare_for_backup (and wait for it to succeed)", error)))
    return FALSE;
  self->steps |= VSS_STEP_SNAPSHOT_STARTED;
  return TRUE;
}

static gboolean
check_backup_complete (VssBackupComponents *self, GError **error)
{
  const char *call = "backup_complete";
  if (!(vss_state_require_backup (self, call, error) &&
        vss_state_require_writer_context (self, call, error) &&
        vss_state_require_not (self, VSS_STEP_ABORTED, call, "the backup was aborted", error) &&
        vss_state_require (self, VSS_STEP_SNAPSHOT_DONE, call,
                           "do_snapshot_set (and it must succeed)", error) &&
        vss_state_require_not (self, VSS_STEP_COMPLETE_STARTED, call,
                               "may be called only once per backup", error)))
    return FALSE;
  self->steps |= VSS_STEP_COMPLETE_STARTED;
  return TRUE;
}

static gboolean
check_gather_status (VssBackupComponents *self, GError **error)
{
  return vss_state_require_initialized (self, "gather_writer_status", error) &&
         vss_state_require_gathered (self, "gather_writer_status", error);
}

#define VSS_DEFINE_ASYNC_CALL(call, check, work)                                          \
  gboolean vss_backup_components_##call (VssBackupComponents *self, VssAsync **out_async, \
                                         GError **error)                                  \
  {                                                                                       \
    g_return_val_if_fail (self != NULL, FALSE);                                           \
    if (out_async == NULL)                                                                \
      return vss_state_invalid_arg (error, #call ": out_async must not be NULL: the "     \
                                    "call's VssAsync is returned there");                 \
    return vss_backup_components_run (self, #call, check, work, out_async, error);        \
  }                                                                                       \
  void vss_backup_components_##call##_async (VssBackupComponents *self,                   \
                                             GCancellable *cancellable,                   \
                                             GAsyncReadyCallback callback,                \
                                             gpointer user_data)                          \
  {                                                                                       \
    g_return_if_fail (self != NULL);                                                      \
    vss_backup_components_run_task (self, #call, check, work,                             \
                                    vss_backup_components_##call##_async, cancellable,    \
                                    callback, user_data);                                 \
  }                                                                                       \
  gboolean vss_backup_components_##call##_finish (VssBackupComponents *self,              \
                                                  GAsyncResult *result, GError **error)   \
  {                                                                                       \
    g_return_val_if_fail (self != NULL, FALSE);                                           \
    return vss_backup_components_task_finish (self, result,                               \
                                              vss_backup_components_##call##_async,       \
                                              error);                                     \
  }

VSS_DEFINE_ASYNC_CALL (gather_writer_metadata, check_gather_metadata, vss_lifecycle_gather_metadata)
VSS_DEFINE_ASYNC_CALL (prepare_for_backup, check_prepare_for_backup, vss_lifecycle_prepare_for_backup)
VSS_DEFINE_ASYNC_CALL (do_snapshot_set, check_do_snapshot_set, vss_lifecycle_do_snapshot_set)
VSS_DEFINE_ASYNC_CALL (backup_complete, check_backup_complete, vss_lifecycle_backup_complete)
VSS_DEFINE_ASYNC_CALL (gather_writer_status, check_gather_status, vss_lifecycle_gather_status)
VSS_DEFINE_ASYNC_CALL (pre_restore, vss_restore_check_pre_restore, vss_lifecycle_pre_restore)
VSS_DEFINE_ASYNC_CALL (post_restore, vss_restore_check_post_restore, vss_lifecycle_post_restore)

/* ---- reading the gathered status ---- */

static gboolean
check_status_gathered (VssBackupComponents *self, const char *call, GError **error)
{
  return vss_backup_components_check_idle (self, error) &&
         vss_state_require (self, VSS_STEP_STATUS_GATHERED, call,
                            "gather_writer_status (and wait for it to finish)", error);
}

gboolean
vss_backup_components_get_writer_status_count (VssBackupComponents *self, guint *out_count,
                                               GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (out_count == NULL)
    return vss_state_invalid_arg (error, "get_writer_status_count: out_count must not be NULL");
  VSS_LOCKED (self, check_status_gathered (self, "get_writer_status_count", error),
              *out_count = self->statuses->len);
}

VssWriterStatus *
vss_backup_components_get_writer_status (VssBackupComponents *self, guint index, GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  VssWriterStatus *copy = NULL;
  g_mutex_lock (&self->lock);
  if (check_status_gathered (self, "get_writer_status", error)) {
    if (index < self->statuses->len) {
      const VssWriterStatus *status = g_ptr_array_index (self->statuses, index);
      copy = vss_writer_status_copy (status);
    } else {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "get_writer_status: index %u is out of range (%u writers)", index,
                   self->statuses->len);
    }
  }
  g_mutex_unlock (&self->lock);
  return copy;
}
