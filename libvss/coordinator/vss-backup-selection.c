/* vss-backup-selection.c — choosing components for a backup and recording
 * what happened to them: add_component, previous stamps, backup options,
 * set_backup_succeeded. */
#include "vss-state-private.h"

/* "dbs/main" from logical path "dbs" and name "main"; "main" alone. */
static char *
full_path (const char *logical_path, const char *name)
{
  if (logical_path == NULL || *logical_path == '\0')
    return g_strdup (name);
  return g_strdup_printf ("%s/%s", logical_path, name);
}

/* A non-selectable component may be added only when no selectable
 * component is its ancestor (then it is an implicit member of that one). */
static const VssWmComponent *
selectable_ancestor (const VssWriterMetadata *metadata, const VssWmComponent *component)
{
  const char *lp = component->logical_path != NULL ? component->logical_path : "";
  for (guint i = 0; i < metadata->components->len; i++) {
    const VssWmComponent *other = g_ptr_array_index (metadata->components, i);
    if (other == component || !other->selectable)
      continue;
    g_autofree char *prefix = full_path (other->logical_path, other->name);
    gsize n = strlen (prefix);
    if (strncmp (lp, prefix, n) == 0 && (lp[n] == '\0' || lp[n] == '/'))
      return other;
  }
  return NULL;
}

static gboolean
check_selectable (const VssWriterProxy *writer, const VssWmComponent *component,
                  VssComponentType type, GError **error)
{
  if (component->type != type) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "add_component: %s of writer %s is a %s component, not a %s one", component->name,
                 writer->name, vss_component_type_to_string (component->type),
                 vss_component_type_to_string (type));
    return FALSE;
  }
  const VssWmComponent *ancestor = component->selectable ? NULL
                                   : selectable_ancestor (writer->metadata, component);
  if (ancestor != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "add_component: %s of writer %s is not selectable; it is backed up as part of "
                 "%s: add that component instead", component->name, writer->name, ancestor->name);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_add_component (VssBackupComponents *self, GError **error)
{
  if (!(vss_backup_components_check_idle (self, error) &&
        vss_state_require_backup (self, "add_component", error) &&
        vss_state_require_writer_context (self, "add_component", error) &&
        vss_state_require (self, VSS_STEP_BACKUP_STATE, "add_component", "set_backup_state", error) &&
        vss_state_require_gathered (self, "add_component", error) &&
        vss_state_require_not (self, VSS_STEP_PREPARE_STARTED, "add_component",
                               "must come before prepare_for_backup", error)))
    return FALSE;
  if (!self->document->select_components) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "add_component: set_backup_state chose volume mode (select_components FALSE); "
                 "components are selected only in component mode");
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_backup_components_add_component (VssBackupComponents *self, const char *instance_id,
                                     const char *writer_id, VssComponentType type,
                                     const char *logical_path, const char *name, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (writer_id == NULL || name == NULL || *name == '\0')
    return vss_state_invalid_arg (error, "add_component: the writer id and the component name are required");
  if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
    return vss_state_invalid_arg (error, "add_component: the type must be database or file-group");
  g_mutex_lock (&self->lock);
  gboolean ok = FALSE;
  VssWriterProxy *writer = NULL;
  const VssWmComponent *known = NULL;
  if (check_add_component (self, error) &&
      (writer = vss_state_find_writer (self, "add_component", instance_id, writer_id, error))) {
    known = vss_writer_metadata_find_component (writer->metadata, logical_path, name);
    if (known == NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "add_component: writer %s has no component %s%s%s", writer->name,
                   logical_path != NULL ? logical_path : "", logical_path != NULL ? "/" : "", name);
  }
  if (known != NULL && check_selectable (writer, known, type, error)) {
    VssBcdWriter *bcd = vss_document_ensure_writer (self->document, writer->writer_id,
                                                    writer->instance_id, writer->name);
    ok = vss_bcd_writer_add_component (bcd, type, logical_path, name, error) != NULL;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
check_before_prepare (VssBackupComponents *self, const char *call, GError **error)
{
  return vss_backup_components_check_idle (self, error) &&
         vss_state_require_backup (self, call, error) &&
         vss_state_require_not (self, VSS_STEP_PREPARE_STARTED, call,
                                "must come before prepare_for_backup", error);
}

typedef enum { FIELD_PREVIOUS_STAMP, FIELD_BACKUP_OPTIONS } ComponentField;

static gboolean
set_component_string (VssBackupComponents *self, const char *call, ComponentField field,
                      const char *writer_id, VssComponentType type, const char *logical_path,
                      const char *name, const char *value, GError **error)
{
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (check_before_prepare (self, call, error))
    component = vss_state_find_added_component (self, call, NULL, writer_id, type, logical_path,
                                                name, error);
  if (component != NULL) {
    char **slot = field == FIELD_PREVIOUS_STAMP ? &component->previous_backup_stamp
                                                : &component->backup_options;
    g_free (*slot);
    *slot = g_strdup (value);
  }
  g_mutex_unlock (&self->lock);
  return component != NULL;
}

gboolean
vss_backup_components_set_previous_backup_stamp (VssBackupComponents *self, const char *writer_id,
                                                 VssComponentType type, const char *logical_path,
                                                 const char *name, const char *stamp,
                                                 GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_component_string (self, "set_previous_backup_stamp", FIELD_PREVIOUS_STAMP, writer_id,
                               type, logical_path, name, stamp, error);
}

gboolean
vss_backup_components_set_backup_options (VssBackupComponents *self, const char *writer_id,
                                          VssComponentType type, const char *logical_path,
                                          const char *name, const char *options, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_component_string (self, "set_backup_options", FIELD_BACKUP_OPTIONS, writer_id, type,
                               logical_path, name, options, error);
}

static gboolean
check_set_backup_succeeded (VssBackupComponents *self, GError **error)
{
  const char *call = "set_backup_succeeded";
  return vss_backup_components_check_idle (self, error) &&
         vss_state_require_backup (self, call, error) &&
         vss_state_require_not (self, VSS_STEP_ABORTED, call, "the backup was aborted", error) &&
         vss_state_require (self, VSS_STEP_SNAPSHOT_DONE, call,
                            "do_snapshot_set (and it must succeed)", error) &&
         vss_state_require_not (self, VSS_STEP_COMPLETE_STARTED, call,
                                "must come before backup_complete", error);
}

gboolean
vss_backup_components_set_backup_succeeded (VssBackupComponents *self, const char *instance_id,
                                            const char *writer_id, VssComponentType type,
                                            const char *logical_path, const char *name,
                                            gboolean succeeded, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  VssComponent *component = NULL;
  if (check_set_backup_succeeded (self, error))
    component = vss_state_find_added_component (self, "set_backup_succeeded", instance_id,
                                                writer_id, type, logical_path, name, error);
  if (component != NULL)
    component->backup_succeeded = succeeded;
  g_mutex_unlock (&self->lock);
  return component != NULL;
}
