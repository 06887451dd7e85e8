/* vss-restore.c — the restore side of VssBackupComponents: loading the
 * saved document, choosing what to restore and where, and the
 * pre_restore / post_restore event sequences.  Also the reading of the
 * document's components, which backup and restore share. */
#include "vss-backup-events.h"
#include "vss-restore-private.h"

#include <string.h>

/* ---- reading components ---- */

gboolean
vss_backup_components_get_component_count (VssBackupComponents *self, guint *out_count,
                                           GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (out_count == NULL)
    return vss_state_invalid_arg (error, "get_component_count: out_count must not be NULL");
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) &&
                vss_state_require_initialized (self, "get_component_count", error);
  if (ok) {
    *out_count = 0;
    for (guint i = 0; i < self->document->writers->len; i++)
      *out_count += ((VssBcdWriter *) g_ptr_array_index (self->document->writers, i))->components->len;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

const VssComponent *
vss_backup_components_get_component (VssBackupComponents *self, guint index,
                                     const char **out_writer_id, const char **out_writer_name,
                                     GError **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  const VssComponent *found = NULL;
  g_mutex_lock (&self->lock);
  if (vss_backup_components_check_idle (self, error) &&
      vss_state_require_initialized (self, "get_component", error)) {
    guint skip = index;
    for (guint i = 0; i < self->document->writers->len && found == NULL; i++) {
      VssBcdWriter *writer = g_ptr_array_index (self->document->writers, i);
      if (skip < writer->components->len) {
        found = g_ptr_array_index (writer->components, skip);
        if (out_writer_id != NULL)
          *out_writer_id = writer->writer_id;
        if (out_writer_name != NULL)
          *out_writer_name = writer->writer_name;
      }
      skip -= MIN (skip, writer->components->len);
    }
    if (found == NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "get_component: index %u is out of range", index);
  }
  g_mutex_unlock (&self->lock);
  return found;
}

/* ---- initialisation ---- */

gboolean
vss_backup_components_initialize_for_restore (VssBackupComponents *self, const char *bcd_json,
                                              GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (bcd_json == NULL)
    return vss_state_invalid_arg (error, "initialize_for_restore: the saved Backup Components "
                                  "Document is required (bcd.json of the backup set)");
  g_autoptr(VssDocument) document = vss_document_from_json (bcd_json, strlen (bcd_json), error);
  if (document == NULL)
    return FALSE;
  document->restore = TRUE;
  vss_document_set_writable (document, FALSE);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error);
  if (ok && self->mode != VSS_MODE_NONE) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "initialize_for_restore: this object was already initialized; "
                 "a VssBackupComponents serves one restore: create a new one");
    ok = FALSE;
  }
  if (ok) {
    self->mode = VSS_MODE_RESTORE;
    self->document = g_steal_pointer (&document);
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- choosing what to restore ---- */

static gboolean
check_before_pre_restore (VssBackupComponents *self, const char *call, GError **error)
{
  return vss_backup_components_check_idle (self, error) &&
         vss_state_require_restore (self, call, error) &&
         vss_state_require_gathered (self, call, error) &&
         vss_state_require_not (self, VSS_STEP_PRE_RESTORE_STARTED, call,
                                "must come before pre_restore", error);
}

/* The saved component, whose writer must be running now. */
static VssComponent *
find_restorable (VssBackupComponents *self, const char *call, const char *writer_id,
                 VssComponentType type, const char *logical_path, const char *name,
                 VssWriterProxy **out_writer, GError **error)
{
  VssComponent *component = vss_state_find_added_component (self, call, NULL, writer_id, type,
                                                            logical_path, name, error);
  if (component == NULL)
    return NULL;
  VssWriterProxy *writer = vss_state_find_writer (self, call, NULL, writer_id, error);
  if (writer == NULL)
    return NULL;
  if (out_writer != NULL)
    *out_writer = writer;
  return component;
}

gboolean
vss_backup_components_set_selected_for_restore (VssBackupComponents *self, const char *writer_id,
                                                VssComponentType type, const char *logical_path,
                                                const char *name, gboolean selected,
                                                GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const char *call = "set_selected_for_restore";
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (check_before_pre_restore (self, call, error))
    component = find_restorable (self, call, writer_id, type, logical_path, name, NULL, error);
  if (component != NULL) {
    component->selected_for_restore = selected;
    if (component->restore_target == VSS_RT_UNDEFINED)
      component->restore_target = VSS_RT_ORIGINAL;
  }
  g_mutex_unlock (&self->lock);
  return component != NULL;
}

gboolean
vss_backup_components_set_additional_restores (VssBackupComponents *self, const char *writer_id,
                                               VssComponentType type, const char *logical_path,
                                               const char *name, gboolean additional,
                                               GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const char *call = "set_additional_restores";
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (check_before_pre_restore (self, call, error))
    component = find_restorable (self, call, writer_id, type, logical_path, name, NULL, error);
  if (component != NULL)
    component->additional_restores = additional;
  g_mutex_unlock (&self->lock);
  return component != NULL;
}

gboolean
vss_backup_components_set_restore_options (VssBackupComponents *self, const char *writer_id,
                                           VssComponentType type, const char *logical_path,
                                           const char *name, const char *options, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const char *call = "set_restore_options";
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (check_before_pre_restore (self, call, error))
    component = find_restorable (self, call, writer_id, type, logical_path, name, NULL, error);
  if (component != NULL) {
    g_free (component->restore_options);
    component->restore_options = g_strdup (options);
  }
  g_mutex_unlock (&self->lock);
  return component != NULL;
}

/* Is (@path, @filespec, @recursive) one of the file sets of @component in
 * the writer's metadata? */
static gboolean
is_file_set_of (const VssWmComponent *component, const char *path, const char *filespec,
                gboolean recursive)
{
  GPtrArray *lists[] = { component->files, component->database_files, component->log_files };
  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
    for (guint i = 0; i < lists[l]->len; i++) {
      const VssWmFile *file = g_ptr_array_index (lists[l], i);
      if (g_strcmp0 (file->path, path) == 0 && g_strcmp0 (file->filespec, filespec) == 0 &&
          (l > 0 || file->recursive == recursive))
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
add_file_mapping (VssBackupComponents *self, const char *call, const char *writer_id,
                  VssComponentType type, const char *logical_path, const char *name,
                  const char *path, const char *filespec, gboolean recursive,
                  const char *destination, gboolean new_target, GError **error)
{
  if (path == NULL || filespec == NULL || destination == NULL || *destination != '/')
    return vss_state_invalid_arg (error, "%s: path, filespec and an absolute destination are "
                                  "required", call);
  g_mutex_lock (&self->lock);
  VssWriterProxy *writer = NULL;
  VssComponent *component = NULL;
  if (check_before_pre_restore (self, call, error))
    component = find_restorable (self, call, writer_id, type, logical_path, name, &writer, error);
  const VssWmComponent *known = component != NULL
      ? vss_writer_metadata_find_component (writer->metadata, logical_path, name) : NULL;
  gboolean ok = known != NULL && is_file_set_of (known, path, filespec, recursive);
  if (component != NULL && !ok)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "%s: %s %s%s is not a file set of component %s of writer %s; use one the "
                 "writer declares (see its metadata)", call, path, filespec,
                 recursive ? " (recursive)" : "", name, writer->name);
  if (ok) {
    VssWmFile *file = g_new0 (VssWmFile, 1);
    file->path = g_strdup (path);
    file->filespec = g_strdup (filespec);
    file->recursive = recursive;
    file->alternate_location = g_strdup (destination);
    g_ptr_array_add (new_target ? component->new_targets : component->alternate_location_mappings, file);
    component->restore_target = VSS_RT_ALTERNATE;   /* what the writer reads first */
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
vss_backup_components_add_alternative_location_mapping (VssBackupComponents *self,
                                                        const char *writer_id,
                                                        VssComponentType type,
                                                        const char *logical_path, const char *name,
                                                        const char *path, const char *filespec,
                                                        gboolean recursive,
                                                        const char *destination, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return add_file_mapping (self, "add_alternative_location_mapping", writer_id, type, logical_path,
                           name, path, filespec, recursive, destination, FALSE, error);
}

gboolean
vss_backup_components_add_new_target (VssBackupComponents *self, const char *writer_id,
                                      VssComponentType type, const char *logical_path,
                                      const char *name, const char *path, const char *filespec,
                                      gboolean recursive, const char *new_path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return add_file_mapping (self, "add_new_target", writer_id, type, logical_path, name, path,
                           filespec, recursive, new_path, TRUE, error);
}

gboolean
vss_backup_components_set_file_restore_status (VssBackupComponents *self, const char *writer_id,
                                               VssComponentType type, const char *logical_path,
                                               const char *name, VssFileRestoreStatus status,
                                               GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const char *call = "set_file_restore_status";
  if (status < VSS_RS_NONE || status > VSS_RS_FAILED)
    return vss_state_invalid_arg (error, "%s: the status must be none, all or failed", call);
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (vss_backup_components_check_idle (self, error) &&
      vss_state_require_restore (self, call, error) &&
      vss_state_require (self, VSS_STEP_PRE_RESTORED, call, "pre_restore (and wait for it)", error) &&
      vss_state_require_not (self, VSS_STEP_POST_RESTORE_STARTED, call,
                             "must come before post_restore", error))
    component = vss_state_find_added_component (self, call, NULL, writer_id, type, logical_path,
                                                name, error);
  if (component != NULL)
    component->file_restore_status = status;
  g_mutex_unlock (&self->lock);
  return component != NULL;
}

/* ---- pre_restore / post_restore ---- */

gboolean
vss_restore_check_pre_restore (VssBackupComponents *self, GError **error)
{
  const char *call = "pre_restore";
  if (!(vss_state_require_restore (self, call, error) &&
        vss_state_require_gathered (self, call, error) &&
        vss_state_require_not (self, VSS_STEP_PRE_RESTORE_STARTED, call, "may be called only once",
                               error)))
    return FALSE;
  self->steps |= VSS_STEP_PRE_RESTORE_STARTED;
  return TRUE;
}

gboolean
vss_restore_check_post_restore (VssBackupComponents *self, GError **error)
{
  const char *call = "post_restore";
  if (!(vss_state_require_restore (self, call, error) &&
        vss_state_require (self, VSS_STEP_PRE_RESTORED, call, "pre_restore (and wait for it)", error) &&
        vss_state_require_not (self, VSS_STEP_POST_RESTORE_STARTED, call, "may be called only once",
                               error)))
    return FALSE;
  self->steps |= VSS_STEP_POST_RESTORE_STARTED;
  return TRUE;
}

/* Writers with a component selected for restore take part. */
static void
mark_restore_involved (VssBackupComponents *self)
{
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    VssBcdWriter *writer = vss_state_bcd_writer (self, proxy);
    gboolean involved = FALSE;
    for (guint c = 0; writer != NULL && c < writer->components->len; c++)
      involved |= ((VssComponent *) g_ptr_array_index (writer->components, c))->selected_for_restore;
    g_mutex_lock (&proxy->lock);
    proxy->involved = involved && proxy->metadata != NULL;
    g_mutex_unlock (&proxy->lock);
  }
}

gboolean
vss_lifecycle_pre_restore (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  mark_restore_involved (self);
  self->bcd_writable = TRUE;
  if (!vss_events_send_to (self, vss_events_is_active, VSS_EVENT_PRE_RESTORE, cancellable))
    return vss_events_cancelled ("pre_restore", error);
  vss_events_add_step (self, VSS_STEP_PRE_RESTORED);
  return TRUE;
}

gboolean
vss_lifecycle_post_restore (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  /* A writer that vetoed pre_restore had its component left alone. */
  gboolean ok = vss_events_send_to (self, vss_events_is_active, VSS_EVENT_POST_RESTORE, cancellable);
  self->bcd_writable = FALSE;
  if (!ok)
    return vss_events_cancelled ("post_restore", error);
  vss_events_add_step (self, VSS_STEP_POST_RESTORED);
  return TRUE;
}
