/* vss-wm-component.c — the read side of the parts of the writer metadata:
 * components (VssWmComponent), file sets (VssWmFile), dependencies. */
#include "vss-json-internal.h"

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
vss_wm_file_get_path (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

const char *
vss_wm_file_get_filespec (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->filespec;
}

gboolean
vss_wm_file_get_recursive (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->recursive;
}

const char *
vss_wm_file_get_alternate_location (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->alternate_location;
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
