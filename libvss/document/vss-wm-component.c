/* vss-wm-component.c — a component of the writer metadata (VssWmComponent)
 * and its dependencies (VssWmDependency): life cycle and getters.  Its file
 * sets are VssWmFile (vss-file-set.c). */
#include "vss-json-internal.h"

/* ---- life cycle ---- */

VssWmDependency *
vss_wm_dependency_new (const char *writer_id, const char *logical_path, const char *name)
{
  VssWmDependency *self = g_new0 (VssWmDependency, 1);
  self->writer_id = g_strdup (writer_id);
  self->logical_path = vss_logical_path_dup (logical_path);
  self->name = g_strdup (name);
  return self;
}

void
vss_wm_dependency_free (VssWmDependency *self)
{
  if (self == NULL)
    return;
  g_free (self->writer_id);
  g_free (self->logical_path);
  g_free (self->name);
  g_free (self);
}

VssWmComponent *
vss_wm_component_new (VssComponentType type, const char *logical_path, const char *name,
                      const char *caption, gboolean selectable, gboolean selectable_for_restore)
{
  VssWmComponent *self = g_new0 (VssWmComponent, 1);
  self->type = type;
  self->logical_path = vss_logical_path_dup (logical_path);
  self->name = g_strdup (name);
  self->caption = g_strdup (caption);
  self->selectable = selectable;
  self->selectable_for_restore = selectable_for_restore;
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->database_files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->log_files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->dependencies = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_dependency_free);
  return self;
}

void
vss_wm_component_free (VssWmComponent *self)
{
  if (self == NULL)
    return;
  g_free (self->logical_path);
  g_free (self->name);
  g_free (self->caption);
  g_ptr_array_unref (self->files);
  g_ptr_array_unref (self->database_files);
  g_ptr_array_unref (self->log_files);
  g_ptr_array_unref (self->dependencies);
  g_free (self);
}

/* ---- getters ---- */

VssComponentType
vss_wm_component_get_type (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, VSS_CT_UNDEFINED);
  return self->type;
}

const char *
vss_wm_component_get_logical_path (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->logical_path;
}

const char *
vss_wm_component_get_name (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

const char *
vss_wm_component_get_caption (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->caption;
}

gboolean
vss_wm_component_is_selectable (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->selectable;
}

gboolean
vss_wm_component_is_selectable_for_restore (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->selectable_for_restore;
}

gboolean
vss_wm_component_is_after_thaw (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->after_thaw;
}

gboolean
vss_wm_component_is_image (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->image;
}

static const VssWmFile *
file_at (GPtrArray *files, guint index)
{
  g_return_val_if_fail (index < files->len, NULL);
  return g_ptr_array_index (files, index);
}

guint
vss_wm_component_get_file_count (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->files->len;
}

const VssWmFile *
vss_wm_component_get_file (const VssWmComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  return file_at (self->files, index);
}

guint
vss_wm_component_get_database_file_count (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->database_files->len;
}

const VssWmFile *
vss_wm_component_get_database_file (const VssWmComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  return file_at (self->database_files, index);
}

guint
vss_wm_component_get_log_file_count (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->log_files->len;
}

const VssWmFile *
vss_wm_component_get_log_file (const VssWmComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  return file_at (self->log_files, index);
}

guint
vss_wm_component_get_dependency_count (const VssWmComponent *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->dependencies->len;
}

const VssWmDependency *
vss_wm_component_get_dependency (const VssWmComponent *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->dependencies->len, NULL);
  return g_ptr_array_index (self->dependencies, index);
}

const char *
vss_wm_dependency_get_writer_id (const VssWmDependency *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->writer_id;
}

const char *
vss_wm_dependency_get_logical_path (const VssWmDependency *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->logical_path;
}

const char *
vss_wm_dependency_get_name (const VssWmDependency *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}
