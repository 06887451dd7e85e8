/* vss-set-file-sets.c — the write boundary of a restore: the file sets a
 * component was backed up from, read back from the set itself.  A
 * "path:/abs" component is the one file set (/abs, "*", recursive); a
 * writer's component ("writer/logical path/name") has the files,
 * databases and logs its writer declared in writers/NAME.json.  An entry
 * is inside when the walk of vss-set-add-files.c could have recorded it,
 * so an edited path cannot make a restore write anywhere else. */
#include "vss-set-restore-private.h"

#include <fnmatch.h>
#include <string.h>

#include "document/vss-document-private.h"

#define PATH_COMPONENT_PREFIX "path:"

void
vss_set_file_set_free (VssSetFileSet *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->filespec);
  g_free (self);
}

static void
add_file_set (GPtrArray *out, const char *path, const char *filespec, gboolean recursive)
{
  VssSetFileSet *fs = g_new0 (VssSetFileSet, 1);
  fs->path = g_strdup (path);
  /* "/srv/x/" and "/srv/x" are one directory. */
  for (gsize n = strlen (fs->path); n > 1 && fs->path[n - 1] == '/'; n--)
    fs->path[n - 1] = '\0';
  fs->filespec = g_strdup (filespec != NULL && *filespec != '\0' ? filespec : "*");
  fs->recursive = recursive;
  g_ptr_array_add (out, fs);
}

static void
add_wm_files (GPtrArray *out, const VssWmComponent *c)
{
  for (guint i = 0; i < vss_wm_component_get_file_count (c); i++) {
    const VssWmFile *f = vss_wm_component_get_file (c, i);
    add_file_set (out, vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                  vss_wm_file_get_recursive (f));
  }
  for (guint i = 0; i < vss_wm_component_get_database_file_count (c); i++) {
    const VssWmFile *f = vss_wm_component_get_database_file (c, i);
    add_file_set (out, vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                  vss_wm_file_get_recursive (f));
  }
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++) {
    const VssWmFile *f = vss_wm_component_get_log_file (c, i);
    add_file_set (out, vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                  vss_wm_file_get_recursive (f));
  }
}

/* The set's key of a writer's component (vss_backup_set_component_key). */
static char *
component_key (const char *writer, const VssWmComponent *c)
{
  return vss_backup_set_component_key (writer, vss_wm_component_get_logical_path (c),
                                       vss_wm_component_get_name (c));
}

static gboolean
add_writer_component (GPtrArray *out, const char *writer_name, const char *text,
                      const char *component)
{
  g_autofree char *prefix = g_strconcat (writer_name, "/", NULL);
  if (!g_str_has_prefix (component, prefix))
    return FALSE;
  /* Metadata that does not load describe no file set. */
  g_autoptr(VssWriterMetadata) md = vss_writer_metadata_from_json (text, NULL);
  if (md == NULL || g_strcmp0 (vss_writer_metadata_get_writer_name (md), writer_name) != 0)
    return FALSE;
  gboolean found = FALSE;
  for (guint i = 0; i < vss_writer_metadata_get_component_count (md); i++) {
    const VssWmComponent *c = vss_writer_metadata_get_component (md, i);
    g_autofree char *key = component_key (writer_name, c);
    if (strcmp (key, component) == 0) {
      add_wm_files (out, c);
      found = TRUE;
    }
  }
  return found;
}

GPtrArray *
vss_set_component_file_sets (const VssBackupSet *self, const char *component, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_file_set_free);
  const char *path = g_str_has_prefix (component, PATH_COMPONENT_PREFIX)
                         ? component + strlen (PATH_COMPONENT_PREFIX) : NULL;
  if (path != NULL && vss_set_check_absolute (path) == NULL)
    add_file_set (out, path, "*", TRUE);
  GHashTableIter iter;
  gpointer name, text;
  g_hash_table_iter_init (&iter, self->writer_metadata);
  while (path == NULL && g_hash_table_iter_next (&iter, &name, &text))
    add_writer_component (out, name, text, component);
  if (out->len > 0)
    return g_steal_pointer (&out);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "%s: no file set of component %s is recorded in the set (it is not a "
               "\"path:/abs\" component and no writers/NAME.json declares it), so nothing of "
               "it can be checked or restored", self->dir, component);
  return NULL;
}

/* Is @path @dir itself or below it?  *out_parent_is_dir: its parent is @dir. */
static gboolean
is_below (const char *path, const char *dir, gboolean *out_parent_is_dir)
{
  gsize n = strcmp (dir, "/") == 0 ? 0 : strlen (dir);
  if (strncmp (path, dir, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
    return FALSE;
  *out_parent_is_dir = strchr (path + n + 1, '/') == NULL;
  return TRUE;
}

static gboolean
file_set_covers (const VssSetFileSet *fs, const VssSetEntry *e)
{
  if (strcmp (e->path, fs->path) == 0)
    return e->type == VSS_SET_ENTRY_DIR;   /* a file set's path is a directory */
  gboolean direct = FALSE;
  if (!is_below (e->path, fs->path, &direct) || !(direct || fs->recursive))
    return FALSE;
  if (e->type == VSS_SET_ENTRY_DIR)
    return fs->recursive;   /* subdirectories whatever their name, when recursive */
  const char *name = strrchr (e->path, '/') + 1;
  return fnmatch (fs->filespec, name, 0) == 0;
}

gboolean
vss_set_file_sets_cover (GPtrArray *file_sets, const VssSetEntry *e)
{
  for (guint i = 0; i < file_sets->len; i++) {
    if (file_set_covers (g_ptr_array_index (file_sets, i), e))
      return TRUE;
  }
  return FALSE;
}
