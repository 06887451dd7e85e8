/* vss-component.c — one component of the Backup Components Document
 * (IVssComponent): its identity, what a backup records about it and what a
 * restore needs.  The setters work only while the document is writable;
 * the JSON form is in vss-component-json.c. */
#include "vss-json-internal.h"

#include <string.h>

void
vss_partial_file_free (VssPartialFile *self)
{
  g_free (self->path);
  g_free (self->filename);
  g_free (self->ranges);
  g_free (self->metadata);
  g_free (self);
}

void
vss_differenced_file_free (VssDifferencedFile *self)
{
  g_free (self->path);
  g_free (self->filespec);
  g_free (self);
}

void
vss_directed_target_free (VssDirectedTarget *self)
{
  g_free (self->source_path);
  g_free (self->source_filename);
  g_free (self->source_ranges);
  g_free (self->destination_path);
  g_free (self->destination_filename);
  g_free (self->destination_ranges);
  g_free (self);
}

VssComponent *
vss_component_new (VssComponentType type, const char *logical_path, const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  VssComponent *self = g_new0 (VssComponent, 1);
  self->type = type;
  self->logical_path = vss_logical_path_dup (logical_path);
  self->name = g_strdup (name);
  self->partial_files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_partial_file_free);
  self->differenced_files =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vss_differenced_file_free);
  self->post_snapshot_files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_post_snapshot_file_free);
  self->restore_target = VSS_RT_UNDEFINED;
  self->directed_targets = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_directed_target_free);
  self->new_targets = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->alternate_location_mappings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->file_restore_status = VSS_RS_UNDEFINED;
  /* Read-only until the coordinator opens the document to writers. */
  self->writable = FALSE;
  return self;
}

void
vss_component_free (VssComponent *self)
{
  if (self == NULL)
    return;
  g_free (self->logical_path);
  g_free (self->name);
  g_free (self->backup_options);
  g_free (self->backup_stamp);
  g_free (self->previous_backup_stamp);
  g_free (self->backup_metadata);
  g_ptr_array_unref (self->partial_files);
  g_ptr_array_unref (self->differenced_files);
  g_ptr_array_unref (self->post_snapshot_files);
  g_free (self->restore_options);
  g_free (self->restore_metadata);
  g_ptr_array_unref (self->directed_targets);
  g_ptr_array_unref (self->new_targets);
  g_ptr_array_unref (self->alternate_location_mappings);
  g_free (self->pre_restore_failure_msg);
  g_free (self->post_restore_failure_msg);
  g_free (self);
}

gboolean
vss_component_matches (const VssComponent *self, VssComponentType type,
                       const char *logical_path, const char *name)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const char *mine = self->logical_path != NULL ? self->logical_path : "";
  const char *theirs = logical_path != NULL ? logical_path : "";

  if (type != VSS_CT_UNDEFINED && type != self->type)
    return FALSE;
  return strcmp (mine, theirs) == 0 && g_strcmp0 (self->name, name) == 0;
}

/* ---- guards ---- */

static gboolean
check_writable (const VssComponent *self, const char *what, GError **error)
{
  if (self->writable)
    return TRUE;
  g_autofree char *quoted = vss_json_quote (self->name);
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "the Backup Components Document is read-only now: cannot %s of component %s "
               "outside prepare_for_backup … backup_complete (or pre_restore … post_restore)",
               what, quoted);
  return FALSE;
}

static gboolean
set_string (VssComponent *self, char **slot, const char *value, const char *what,
            GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, what, error))
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

/* ---- identity ---- */

VssComponentType
vss_component_get_type (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, VSS_CT_UNDEFINED);
  return self->type;
}

const char *
vss_component_get_logical_path (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->logical_path;
}

const char *
vss_component_get_name (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/* ---- backup ---- */

gboolean
vss_component_get_backup_succeeded (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->backup_succeeded;
}

const char *
vss_component_get_backup_options (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backup_options;
}

const char *
vss_component_get_backup_stamp (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backup_stamp;
}

const char *
vss_component_get_previous_backup_stamp (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->previous_backup_stamp;
}

const char *
vss_component_get_backup_metadata (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backup_metadata;
}

gboolean
vss_component_set_backup_stamp (VssComponent *self, const char *stamp, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_string (self, &self->backup_stamp, stamp, "set the backup stamp", error);
}

gboolean
vss_component_set_backup_metadata (VssComponent *self, const char *metadata, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_string (self, &self->backup_metadata, metadata, "set the backup metadata", error);
}

gboolean
vss_component_add_differenced_files_by_last_modify_time (VssComponent *self, const char *path,
                                                         const char *filespec,
                                                         gboolean recursive,
                                                         gint64 last_modify_time_usec,
                                                         GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, "add differenced files", error) ||
      !vss_check_report ("path", path, vss_check_path (path), error) ||
      !vss_check_report ("filespec", filespec, vss_check_filespec (filespec), error))
    return FALSE;
  VssDifferencedFile *file = g_new0 (VssDifferencedFile, 1);
  file->path = g_strdup (path);
  file->filespec = g_strdup (filespec);
  file->recursive = recursive;
  file->last_modify_time_usec = last_modify_time_usec;
  g_ptr_array_add (self->differenced_files, file);
  return TRUE;
}

gboolean
vss_component_add_partial_file (VssComponent *self, const char *path, const char *filename,
                                const char *ranges, const char *metadata, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, "add a partial file", error) ||
      !vss_check_report ("path", path, vss_check_path (path), error) ||
      !vss_check_report ("file name", filename, vss_check_filespec (filename), error))
    return FALSE;
  VssPartialFile *file = g_new0 (VssPartialFile, 1);
  file->path = g_strdup (path);
  file->filename = g_strdup (filename);
  file->ranges = g_strdup (ranges);
  file->metadata = g_strdup (metadata);
  g_ptr_array_add (self->partial_files, file);
  return TRUE;
}

void
vss_post_snapshot_file_free (VssPostSnapshotFile *self)
{
  g_free (self->path);
  g_free (self->source);
  g_free (self);
}

VssPostSnapshotFile *
vss_post_snapshot_file_new (const char *path, const char *source, guint64 size)
{
  VssPostSnapshotFile *f = g_new0 (VssPostSnapshotFile, 1);
  f->path = g_strdup (path);
  f->source = g_strdup (source);
  f->size = size;
  return f;
}

/* One entry per path, in the order first added; the latest says where
 * its data come from. */
static gboolean
add_post_snapshot (VssComponent *self, const char *path, const char *source, guint64 size,
                   GError **error)
{
  if (!check_writable (self, "add a post-snapshot file", error) ||
      !vss_check_report ("path", path, vss_check_path (path), error) ||
      (source != NULL && !vss_check_report ("source", source, vss_check_path (source), error)))
    return FALSE;
  VssPostSnapshotFile *f = vss_post_snapshot_file_new (path, source, size);
  for (guint i = 0; i < self->post_snapshot_files->len; i++) {
    gpointer *slot = &g_ptr_array_index (self->post_snapshot_files, i);
    if (g_str_equal (((VssPostSnapshotFile *) *slot)->path, path)) {
      vss_post_snapshot_file_free (*slot);   /* the requester reads it once */
      *slot = f;
      return TRUE;
    }
  }
  g_ptr_array_add (self->post_snapshot_files, f);
  return TRUE;
}

gboolean
vss_component_add_post_snapshot_file (VssComponent *self, const char *path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return add_post_snapshot (self, path, NULL, 0, error);
}

gboolean
vss_component_add_post_snapshot_image (VssComponent *self, const char *path, const char *source,
                                       guint64 size, GError **error)
{
  g_return_val_if_fail (self != NULL && source != NULL, FALSE);
  return add_post_snapshot (self, path, source, size, error);
}

guint
vss_component_get_post_snapshot_file_count (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->post_snapshot_files->len;
}

static const VssPostSnapshotFile *
post_snapshot_at (const VssComponent *self, guint index)
{
  return index < self->post_snapshot_files->len ? g_ptr_array_index (self->post_snapshot_files, index)
                                                 : NULL;
}

const char *
vss_component_get_post_snapshot_file (const VssComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  const VssPostSnapshotFile *f = post_snapshot_at (self, index);
  return f != NULL ? f->path : NULL;
}

const char *
vss_component_get_post_snapshot_source (const VssComponent *self, guint index, guint64 *out_size)
{
  g_return_val_if_fail (self != NULL, NULL);
  const VssPostSnapshotFile *f = post_snapshot_at (self, index);
  if (out_size != NULL)
    *out_size = f != NULL ? f->size : 0;
  return f != NULL ? f->source : NULL;
}

guint
vss_component_get_differenced_files_count (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->differenced_files->len;
}

guint
vss_component_get_partial_file_count (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->partial_files->len;
}

/* ---- restore ---- */

gboolean
vss_component_is_selected_for_restore (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->selected_for_restore;
}

gboolean
vss_component_get_additional_restores (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->additional_restores;
}

const char *
vss_component_get_restore_options (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->restore_options;
}

VssRestoreTarget
vss_component_get_restore_target (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, VSS_RT_UNDEFINED);
  return self->restore_target;
}

gboolean
vss_component_set_restore_target (VssComponent *self, VssRestoreTarget target, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, "set the restore target", error))
    return FALSE;
  if (vss_enum_to_string (vss_restore_target_names, target) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "restore target %d: not a VssRestoreTarget value", (int) target);
    return FALSE;
  }
  self->restore_target = target;
  return TRUE;
}

const char *
vss_component_get_restore_metadata (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->restore_metadata;
}

gboolean
vss_component_set_restore_metadata (VssComponent *self, const char *metadata, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_string (self, &self->restore_metadata, metadata, "set the restore metadata", error);
}

VssFileRestoreStatus
vss_component_get_file_restore_status (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, VSS_RS_UNDEFINED);
  return self->file_restore_status;
}

const char *
vss_component_get_pre_restore_failure_msg (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->pre_restore_failure_msg;
}

const char *
vss_component_get_post_restore_failure_msg (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->post_restore_failure_msg;
}

gboolean
vss_component_set_pre_restore_failure_msg (VssComponent *self, const char *msg, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_string (self, &self->pre_restore_failure_msg, msg,
                     "set the pre-restore failure message", error);
}

gboolean
vss_component_set_post_restore_failure_msg (VssComponent *self, const char *msg, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return set_string (self, &self->post_restore_failure_msg, msg,
                     "set the post-restore failure message", error);
}

guint
vss_component_get_alternate_location_mapping_count (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->alternate_location_mappings->len;
}

guint
vss_component_get_new_target_count (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->new_targets->len;
}

const VssWmFile *
vss_component_get_alternate_location_mapping (const VssComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL && index < self->alternate_location_mappings->len, NULL);
  return g_ptr_array_index (self->alternate_location_mappings, index);
}

const VssWmFile *
vss_component_get_new_target (const VssComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL && index < self->new_targets->len, NULL);
  return g_ptr_array_index (self->new_targets, index);
}

/* The length of @prefix when it is @path or a directory above it, else 0. */
static gsize
covers (const char *prefix, const char *path)
{
  gsize n = strlen (prefix);
  while (n > 1 && prefix[n - 1] == '/')
    n--;
  if (strncmp (prefix, path, n) != 0 || (path[n] != '\0' && path[n] != '/' && n > 1))
    return 0;
  return n;
}

char *
vss_component_get_restore_path (const VssComponent *self, const char *path)
{
  g_return_val_if_fail (self != NULL && path != NULL, NULL);
  const VssWmFile *best = NULL;
  gsize best_len = 0;
  GPtrArray *lists[] = { self->new_targets, self->alternate_location_mappings };
  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
    for (guint i = 0; i < lists[l]->len; i++) {
      const VssWmFile *f = g_ptr_array_index (lists[l], i);
      gsize n = f->alternate_location != NULL ? covers (f->path, path) : 0;
      if (n > best_len) {
        best = f;
        best_len = n;
      }
    }
  }
  if (best == NULL)
    return g_strdup (path);
  const char *rest = path + best_len;
  return rest[0] == '\0' ? g_strdup (best->alternate_location)
                         : g_build_filename (best->alternate_location, rest, NULL);
}

gboolean
vss_component_is_restored_in_place (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->new_targets->len == 0 && self->alternate_location_mappings->len == 0;
}
