/* vss-backup-components.c — VssBackupComponents: the object, its settings
 * and the synchronous calls of a backup, each with its call-order rule
 * (docs/architecture.md).  The long calls are in
 * vss-backup-components-async.c, the event sequences in
 * vss-backup-lifecycle.c. */
#include "vss-backup-components-private.h"
#include "util/vss-paths.h"
#include "vss-state-private.h"

#include <vss/vss-snapshots.h>

#include <stdlib.h>
#include <sys/stat.h>

VssBackupComponents *
vss_backup_components_new (void)
{
  VssBackupComponents *self = g_new0 (VssBackupComponents, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->operation_done);
  self->event_timeout_ms = VSS_DEFAULT_EVENT_TIMEOUT_MS;
  self->hold_timeout_ms = VSS_DEFAULT_HOLD_TIMEOUT_MS;
  self->writers = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_writer_proxy_free);
  self->metadata = g_ptr_array_new ();
  self->statuses = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_writer_status_free);
  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_snapshot_free);
  return self;
}

void
vss_backup_components_free (VssBackupComponents *self)
{
  if (self == NULL)
    return;
  vss_backup_components_stop_operation (self);
  if (vss_state_needs_abort (self))
    vss_lifecycle_abort (self);
  else
    vss_lifecycle_shutdown (self);
  g_clear_pointer (&self->snapshot_lock, vss_snapshot_lock_release);
  g_ptr_array_unref (self->snapshots);
  g_ptr_array_unref (self->statuses);
  g_ptr_array_unref (self->metadata);
  g_ptr_array_unref (self->writers);
  /* No coordinator leaves a helper behind: those just closed exit (or
   * are killed after the grace) and are reaped before we return. */
  vss_writer_hosts_wait_closed ();
  g_clear_pointer (&self->document, vss_document_free);
  g_free (self->writer_path);
  g_free (self->writer_transport);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->operation_done);
  g_free (self);
}

gboolean
vss_backup_components_check_idle (VssBackupComponents *self, GError **error)
{
  if (self->operation == NULL)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "%s is still running: wait for its VssAsync (or cancel it) first",
               self->operation);
  return FALSE;
}

/* ---- settings ---- */

static gboolean
check_settings (VssBackupComponents *self, const char *call, GError **error)
{
  if (!vss_backup_components_check_idle (self, error))
    return FALSE;
  return vss_state_require_not (self, VSS_STEP_GATHER_STARTED, call,
                                "must come before gather_writer_metadata", error);
}

gboolean
vss_backup_components_set_event_timeout (VssBackupComponents *self, guint timeout_ms, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (timeout_ms == 0)
    return vss_state_invalid_arg (error, "set_event_timeout: the timeout must be at least 1 ms");
  VSS_LOCKED (self, check_settings (self, "set_event_timeout", error),
              self->event_timeout_ms = timeout_ms);
}

gboolean
vss_backup_components_set_hold_timeout (VssBackupComponents *self, guint timeout_ms, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (timeout_ms == 0)
    return vss_state_invalid_arg (error, "set_hold_timeout: the limit must be at least 1 ms");
  VSS_LOCKED (self, check_settings (self, "set_hold_timeout", error),
              self->hold_timeout_ms = timeout_ms);
}

gboolean
vss_backup_components_set_writer_path (VssBackupComponents *self, const char *path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (path == NULL)
    return vss_state_invalid_arg (error, "set_writer_path: the path must not be NULL");
  VSS_LOCKED (self, check_settings (self, "set_writer_path", error),
              g_free (self->writer_path); self->writer_path = g_strdup (path));
}

gboolean
vss_backup_components_set_writer_transport (VssBackupComponents *self, const char *name,
                                            GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!vss_transport_name_is_valid (name))
    return vss_state_invalid_arg (error, "set_writer_transport: \"%s\" is not a transport; "
                                  "use \"helper\" or \"inproc\"", name != NULL ? name : "(null)");
  VSS_LOCKED (self, check_settings (self, "set_writer_transport", error),
              g_free (self->writer_transport); self->writer_transport = g_strdup (name));
}

/* ---- initialisation ---- */

static gboolean
check_initialize (VssBackupComponents *self, GError **error)
{
  if (self->mode == VSS_MODE_NONE)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "initialize_for_backup: this object was already initialized; "
               "a VssBackupComponents serves one backup: create a new one");
  return FALSE;
}

gboolean
vss_backup_components_initialize_for_backup (VssBackupComponents *self, const char *bcd_json,
                                             GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_autoptr(VssDocument) document = NULL;
  if (bcd_json != NULL) {
    document = vss_document_from_json (bcd_json, strlen (bcd_json), error);
    if (document == NULL)
      return FALSE;
    document->restore = FALSE;
  } else {
    document = vss_document_new ();
  }
  VSS_LOCKED (self, vss_backup_components_check_idle (self, error) && check_initialize (self, error),
              self->mode = VSS_MODE_BACKUP;
              self->document = g_steal_pointer (&document));
}

static gboolean
context_is_known (VssSnapshotContext context)
{
  return vss_enum_to_string (vss_snapshot_context_names, (int) context) != NULL;
}

gboolean
vss_backup_components_set_context (VssBackupComponents *self, VssSnapshotContext context,
                                   GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!context_is_known (context))
    return vss_state_invalid_arg (error, "set_context: 0x%x is not a snapshot context", context);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require_backup (self, "set_context", error) &&
                vss_state_require_not (self, VSS_STEP_CONTEXT, "set_context",
                                       "may be called only once", error) &&
                vss_state_require_not (self, VSS_STEP_GATHER_STARTED | VSS_STEP_SET_STARTED,
                                       "set_context",
                                       "must come before gather_writer_metadata and start_snapshot_set",
                                       error);
  if (ok) {
    self->steps |= VSS_STEP_CONTEXT;
    self->document->context = context;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
vss_backup_components_set_backup_state (VssBackupComponents *self, gboolean select_components,
                                        gboolean bootable_state, VssBackupType backup_type,
                                        gboolean partial_file_support, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (backup_type < VSS_BT_FULL || backup_type > VSS_BT_COPY)
    return vss_state_invalid_arg (error, "set_backup_state: backup type %d is not one of "
                                  "full, incremental, differential, log, copy", backup_type);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require_backup (self, "set_backup_state", error) &&
                vss_state_require_not (self, VSS_STEP_PREPARE_STARTED, "set_backup_state",
                                       "must come before prepare_for_backup", error);
  if (ok) {
    self->steps |= VSS_STEP_BACKUP_STATE;
    self->document->select_components = select_components;
    self->document->bootable_state = bootable_state;
    self->document->backup_type = backup_type;
    self->document->partial_file_support = partial_file_support;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
vss_backup_components_set_writer_images (VssBackupComponents *self, gboolean read_images,
                                         GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require_backup (self, "set_writer_images", error) &&
                vss_state_require_not (self, VSS_STEP_PREPARE_STARTED, "set_writer_images",
                                       "must come before prepare_for_backup", error);
  if (ok)
    self->document->writer_images = read_images;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- writer metadata ---- */

gboolean
vss_backup_components_get_writer_metadata_count (VssBackupComponents *self, guint *out_count,
                                                 GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (out_count == NULL)
    return vss_state_invalid_arg (error, "get_writer_metadata_count: out_count must not be NULL");
  VSS_LOCKED (self, vss_state_require_gathered (self, "get_writer_metadata_count", error),
              *out_count = self->metadata->len);
}

const VssWriterMetadata *
vss_backup_components_get_writer_metadata (VssBackupComponents *self, guint index, GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  const VssWriterMetadata *metadata = NULL;
  g_mutex_lock (&self->lock);
  if (vss_state_require_gathered (self, "get_writer_metadata", error)) {
    if (index < self->metadata->len)
      metadata = g_ptr_array_index (self->metadata, index);
    else
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "get_writer_metadata: index %u is out of range (%u writers answered)",
                   index, self->metadata->len);
  }
  g_mutex_unlock (&self->lock);
  return metadata;
}

/* ---- snapshot set ---- */

static gboolean
check_start_snapshot_set (VssBackupComponents *self, GError **error)
{
  return vss_state_require_backup (self, "start_snapshot_set", error) &&
         vss_state_require_not (self, VSS_STEP_SET_STARTED, "start_snapshot_set",
                                "a snapshot set was already started; one object makes one set",
                                error) &&
         vss_state_require_not (self, VSS_STEP_ABORTED, "start_snapshot_set",
                                "the backup was aborted: create a new VssBackupComponents", error);
}

gboolean
vss_backup_components_start_snapshot_set (VssBackupComponents *self, char **out_snapshot_set_id,
                                          GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                check_start_snapshot_set (self, error);
  if (ok) {
    g_autofree char *set_id = g_uuid_string_random ();
    g_autoptr(GError) stale_error = NULL;
    /* no state directory at all (not root, say): that is the error to
     * report, not leftovers of an earlier run */
    ok = vss_paths_ensure_dir (vss_paths_state_dir (), error);
    if (ok)
      vss_snapshots_clean_stale (&stale_error);
    if (stale_error != NULL)
      g_warning ("leftovers of an earlier requester remain: %s", stale_error->message);
    self->snapshot_lock = ok ? vss_snapshot_lock_acquire (set_id, error) : NULL;
    ok = self->snapshot_lock != NULL;
    if (ok) {
      self->steps |= VSS_STEP_SET_STARTED;
      self->document->snapshot_set_id = g_strdup (set_id);
      for (guint i = 0; i < self->writers->len; i++)
        vss_writer_proxy_set_snapshot_set (g_ptr_array_index (self->writers, i), set_id);
      if (out_snapshot_set_id != NULL)
        *out_snapshot_set_id = g_steal_pointer (&set_id);
    }
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
vss_backup_components_add_to_snapshot_set (VssBackupComponents *self, const char *path,
                                           const char *provider, char **out_snapshot_id,
                                           GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (path == NULL || *path == '\0')
    return vss_state_invalid_arg (error, "add_to_snapshot_set: the path must not be empty");
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require (self, VSS_STEP_SET_STARTED, "add_to_snapshot_set",
                                   "start_snapshot_set", error) &&
                vss_state_require_not (self, VSS_STEP_SNAPSHOT_STARTED, "add_to_snapshot_set",
                                       "must come before do_snapshot_set", error);
  VssSnapshot *snapshot = ok ? vss_state_new_snapshot (self, path, provider, error) : NULL;
  if (snapshot != NULL) {
    g_ptr_array_add (self->snapshots, snapshot);
    vss_document_add_snapshot (self->document, snapshot->snapshot_id, snapshot->original_path,
                               snapshot->provider->name);
    if (out_snapshot_id != NULL)
      *out_snapshot_id = g_strdup (snapshot->snapshot_id);
  }
  g_mutex_unlock (&self->lock);
  return snapshot != NULL;
}

static gboolean
apply_window (VssBackupComponents *self, const char *snapshot_id, VssSnapshotWindow window,
              GError **error)
{
  VssSnapshot *snapshot = vss_state_find_snapshot (self, snapshot_id);
  if (snapshot == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "set_snapshot_window: no snapshot %s in the set", snapshot_id);
    return FALSE;
  }
  snapshot->after_thaw = window == VSS_SNAPSHOT_WINDOW_AFTER_THAW;
  for (guint i = 0; i < self->document->snapshots->len; i++) {
    VssBcdSnapshot *recorded = g_ptr_array_index (self->document->snapshots, i);
    if (g_str_equal (recorded->snapshot_id, snapshot_id))
      recorded->after_thaw = snapshot->after_thaw;
  }
  return TRUE;
}

gboolean
vss_backup_components_set_snapshot_window (VssBackupComponents *self, const char *snapshot_id,
                                           VssSnapshotWindow window, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (snapshot_id == NULL)
    return vss_state_invalid_arg (error, "set_snapshot_window: no snapshot id");
  if (window != VSS_SNAPSHOT_WINDOW_FREEZE && window != VSS_SNAPSHOT_WINDOW_AFTER_THAW)
    return vss_state_invalid_arg (error, "set_snapshot_window: unknown window %d", (int) window);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require (self, VSS_STEP_SET_STARTED, "set_snapshot_window",
                                   "start_snapshot_set", error) &&
                vss_state_require_not (self, VSS_STEP_SNAPSHOT_STARTED, "set_snapshot_window",
                                       "must come before do_snapshot_set", error) &&
                apply_window (self, snapshot_id, window, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
release_image (VssBackupComponents *self, const char *snapshot_id, GError **error)
{
  VssSnapshot *snapshot = vss_state_find_snapshot (self, snapshot_id);
  if (snapshot == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "take_snapshot_image: no snapshot %s in the set", snapshot_id);
    return FALSE;
  }
  if (snapshot->provider->release == NULL || vss_snapshot_context_is_persistent (snapshot->context)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_NOT_SUPPORTED,
                 "take_snapshot_image: the %s snapshot of %s %s", snapshot->provider->name,
                 snapshot->original_path, snapshot->provider->release == NULL
                     ? "is not a private copy: copy from it"
                     : "is persistent: it must stay whole");
    return FALSE;
  }
  return snapshot->provider->release (snapshot, error);
}

gboolean
vss_backup_components_take_snapshot_image (VssBackupComponents *self, const char *snapshot_id,
                                           GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (snapshot_id == NULL)
    return vss_state_invalid_arg (error, "take_snapshot_image: no snapshot id");
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require (self, VSS_STEP_SNAPSHOT_DONE, "take_snapshot_image",
                                   "do_snapshot_set", error) &&
                release_image (self, snapshot_id, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

void
vss_snapshot_prop_free (VssSnapshotProp *prop)
{
  if (prop == NULL)
    return;
  g_free (prop->snapshot_id);
  g_free (prop->snapshot_set_id);
  g_free (prop->original_path);
  g_free (prop->snapshot_path);
  g_free (prop->provider);
  g_free (prop);
}

VssSnapshotProp *
vss_backup_components_get_snapshot_properties (VssBackupComponents *self, const char *snapshot_id,
                                               GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (snapshot_id == NULL)
    return vss_state_invalid_arg (error, "get_snapshot_properties: the snapshot id must not be NULL"),
           NULL;
  VssSnapshotProp *prop = NULL;
  g_mutex_lock (&self->lock);
  if (vss_backup_components_check_idle (self, error)) {
    const VssSnapshot *snapshot = vss_state_find_snapshot (self, snapshot_id);
    if (snapshot != NULL)
      prop = vss_snapshot_to_prop (snapshot);
    else
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "get_snapshot_properties: no snapshot %s in this set", snapshot_id);
  }
  g_mutex_unlock (&self->lock);
  return prop;
}

gboolean
vss_backup_components_get_snapshot_timings (VssBackupComponents *self,
                                            VssSnapshotTimings *out_timings, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (out_timings == NULL)
    return vss_state_invalid_arg (error, "get_snapshot_timings: out_timings must not be NULL");
  VSS_LOCKED (self,
              vss_backup_components_check_idle (self, error) &&
              vss_state_require (self, VSS_STEP_SNAPSHOT_STARTED, "get_snapshot_timings",
                                 "do_snapshot_set", error),
              *out_timings = self->timings);
}

/* ---- the document ---- */

char *
vss_backup_components_save_as_json (VssBackupComponents *self, GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  char *json = NULL;
  g_mutex_lock (&self->lock);
  if (vss_backup_components_check_idle (self, error) &&
      vss_state_require (self, VSS_STEP_PREPARE_STARTED, "save_as_json", "prepare_for_backup", error))
    json = vss_document_to_json (self->document);
  g_mutex_unlock (&self->lock);
  return json;
}

gboolean
vss_backup_components_abort_backup (VssBackupComponents *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_state_require_backup (self, "abort_backup", error);
  g_mutex_unlock (&self->lock);
  if (!ok)
    return FALSE;
  /* Abort is the way out of a stuck call: stop it rather than refuse. */
  vss_backup_components_stop_operation (self);
  if (vss_state_needs_abort (self)) {
    vss_lifecycle_abort (self);
  } else {
    g_mutex_lock (&self->lock);
    self->steps |= VSS_STEP_ABORTED;
    g_mutex_unlock (&self->lock);
  }
  return TRUE;
}
