/* vss-set-exclude-files.c — the files a writer's metadata excludes (VSS
 * exclude files), left out of the file sets added to a set.  An exclude is
 * a directory, a filespec and a recursive flag, as a file set is: it
 * takes every entry whose name matches the filespec directly in the
 * directory or, recursive, in any directory below it; a directory it
 * takes goes with all it holds.  Matched against original paths, so a
 * writer says it once whatever snapshot the files are read from. */
#include "vss-set-writer-private.h"

#include <fnmatch.h>
#include <string.h>

typedef struct {
  char *path;        /* absolute, no trailing "/" */
  char *filespec;
  gboolean recursive;
} ExcludeFile;

static void
exclude_file_free (ExcludeFile *self)
{
  g_free (self->path);
  g_free (self->filespec);
  g_free (self);
}

void
vss_backup_set_writer_add_exclude_file (VssBackupSetWriter *self, const char *path,
                                        const char *filespec, gboolean recursive)
{
  g_return_if_fail (self != NULL && path != NULL && path[0] == '/');
  if (self->exclude_files == NULL)
    self->exclude_files = g_ptr_array_new_with_free_func ((GDestroyNotify) exclude_file_free);
  ExcludeFile *x = g_new0 (ExcludeFile, 1);
  x->path = g_strdup (path);
  for (gsize n = strlen (x->path); n > 1 && x->path[n - 1] == '/'; n--)
    x->path[n - 1] = '\0';
  x->filespec = g_strdup (filespec != NULL && *filespec != '\0' ? filespec : "*");
  x->recursive = recursive;
  g_ptr_array_add (self->exclude_files, x);
}

void
vss_backup_set_writer_clear_exclude_files (VssBackupSetWriter *self)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->exclude_files, g_ptr_array_unref);
}

/* Is the directory @dir the exclude's directory, or (recursive) below it? */
static gboolean
dir_matches (const ExcludeFile *x, const char *dir)
{
  if (strcmp (dir, x->path) == 0)
    return TRUE;
  gsize n = strcmp (x->path, "/") == 0 ? 0 : strlen (x->path);
  return x->recursive && strncmp (dir, x->path, n) == 0 && dir[n] == '/';
}

gboolean
vss_set_writer_is_excluded_file (const VssBackupSetWriter *self, const char *original)
{
  if (self->exclude_files == NULL)
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (original);
  const char *name = strrchr (original, '/') + 1;
  for (guint i = 0; i < self->exclude_files->len; i++) {
    const ExcludeFile *x = g_ptr_array_index (self->exclude_files, i);
    if (dir_matches (x, dir) && fnmatch (x->filespec, name, FNM_PERIOD) == 0)
      return TRUE;
  }
  return FALSE;
}
