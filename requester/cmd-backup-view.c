/* cmd-backup-view.c — the snapshot of a `vss backup` shown at the
 * original paths to a command (--exec, --repo): the set's metadata
 * directory (bcd.json, writers/, components.json, paths), the view, and
 * the command's environment.  Format: docs/repositories.md. */
#include "vss-backup-cmd.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A metadata directory (vss-metadata-XXXXXX in the temporary directory)
 * is locked (flock) by the run that made it for as long as it is there:
 * one the next run can lock was left by a run that was killed, and is
 * removed.  The library's image staging does the same
 * (libvss/jobs/vss-backup-job-stage.c), out of this program's reach. */
#define METADATA_PREFIX "vss-metadata-"

/* Removes what killed runs left in the temporary directory. */
static void
remove_orphaned_metadata (void)
{
  const char *tmp = g_get_tmp_dir ();
  g_autoptr(GDir) d = g_dir_open (tmp, 0, NULL);
  for (const char *name; d != NULL && (name = g_dir_read_name (d)) != NULL;) {
    if (!g_str_has_prefix (name, METADATA_PREFIX))
      continue;
    g_autofree char *path = g_build_filename (tmp, name, NULL);
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat (fd, &st) == 0 && st.st_uid == geteuid () &&
        flock (fd, LOCK_EX | LOCK_NB) == 0) {
      g_debug ("removing %s, left by a run that was killed", path);
      vss_backup_cmd_remove_metadata (path, -1);
    }
    if (fd >= 0)
      close (fd);
  }
}

static gboolean
write_file (const char *dir, const char *name, const char *contents, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_set_contents (path, contents, -1, error);
}

static gboolean
write_writers (VssBackupCmd *cmd, const char *dir, GError **error)
{
  VssBackupComponents *bc = vss_backup_job_get_backup_components (cmd->job);
  guint count = 0;
  if (!vss_backup_components_get_writer_metadata_count (bc, &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, error);
    g_autofree char *json = md != NULL ? vss_writer_metadata_to_json (md) : NULL;
    g_autofree char *name = md != NULL
        ? g_strdup_printf ("writers/%s.json", vss_writer_metadata_get_writer_name (md)) : NULL;
    if (json == NULL || !write_file (dir, name, json, error))
      return FALSE;
  }
  return TRUE;
}

static json_object *
file_set_json (const char *path, const char *filespec, gboolean recursive)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (path));
  json_object_object_add (obj, "filespec", json_object_new_string (filespec));
  json_object_object_add (obj, "recursive", json_object_new_boolean (recursive));
  return obj;
}

/* The file sets a backup of @type takes (as libvss/jobs/vss-backup-job-copy.c copies them). */
static GPtrArray *
component_file_sets (const VssWmComponent *c, VssBackupType type)
{
  GPtrArray *sets = g_ptr_array_new ();
  gboolean logs_only = type == VSS_BT_LOG;
  for (guint i = 0; !logs_only && i < vss_wm_component_get_file_count (c); i++)
    g_ptr_array_add (sets, (gpointer) vss_wm_component_get_file (c, i));
  for (guint i = 0; !logs_only && i < vss_wm_component_get_database_file_count (c); i++)
    g_ptr_array_add (sets, (gpointer) vss_wm_component_get_database_file (c, i));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    g_ptr_array_add (sets, (gpointer) vss_wm_component_get_log_file (c, i));
  return sets;
}

static json_object *
component_json (VssBackupCmd *cmd, guint index)
{
  const VssWriterMetadata *md = NULL;
  const char *key = NULL;
  const VssWmComponent *c = vss_backup_job_get_component (cmd->job, index, &md, &key);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "key", json_object_new_string (key));
  json_object_object_add (obj, "writer",
                          json_object_new_string (vss_writer_metadata_get_writer_name (md)));
  json_object *sets = json_object_new_array ();
  g_autoptr(GPtrArray) files = component_file_sets (c, cmd->type);
  for (guint i = 0; i < files->len; i++) {
    const VssWmFile *f = g_ptr_array_index (files, i);
    json_object_array_add (sets, file_set_json (vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                                                vss_wm_file_get_recursive (f)));
  }
  json_object_object_add (obj, "file_sets", sets);
  /* its writer failed before the command ran: the files are there, but not
   * as the writer vouches for them, so no restore takes them */
  gboolean failed = vss_backup_job_writer_failed (cmd->job, vss_writer_metadata_get_writer_name (md));
  json_object_object_add (obj, "failed", json_object_new_boolean (failed));
  return obj;
}

/* What the set holds and how its files map to components: enough to
 * assemble a native set from the restored tree (vss restore --from
 * restic:). */
static char *
components_json (VssBackupCmd *cmd)
{
  json_object *root = json_object_new_object ();
  json_object_object_add (root, "format", json_object_new_int (1));
  json_object_object_add (root, "set_id", json_object_new_string (cmd->set_id));
  json_object_object_add (root, "type", json_object_new_string (vss_backup_type_to_string (cmd->type)));
  json_object_object_add (root, "host", json_object_new_string (g_get_host_name ()));
  json_object *components = json_object_new_array ();
  for (guint i = 0; i < vss_backup_job_get_component_count (cmd->job); i++)
    json_object_array_add (components, component_json (cmd, i));
  json_object_object_add (root, "components", components);
  json_object *paths = json_object_new_array ();
  for (guint i = 0; cmd->paths != NULL && cmd->paths[i] != NULL; i++)
    json_object_array_add (paths, json_object_new_string (cmd->paths[i]));
  json_object_object_add (root, "paths", paths);
  json_object *excludes = json_object_new_array ();
  for (guint i = 0; cmd->excludes != NULL && cmd->excludes[i] != NULL; i++)
    json_object_array_add (excludes, json_object_new_string (cmd->excludes[i]));
  json_object_object_add (root, "excludes", excludes);
  char *text = g_strdup (json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY));
  json_object_put (root);
  return text;
}

/* @path is @root or below it. */
static gboolean
is_within (const char *path, const char *root)
{
  gsize n = strlen (root);
  return strncmp (path, root, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

/* A staged image directory no snapshot root covers (one that is covered
 * is shown over the root's snapshot, and read with it). */
static gboolean
is_own_tree (VssBackupCmd *cmd, const char *image_root)
{
  for (guint i = 0; i < vss_backup_job_get_root_count (cmd->job); i++)
    if (is_within (image_root, vss_backup_job_get_root (cmd->job, i)))
      return FALSE;
  return TRUE;
}

/* The trees the command reads, one a line, then the metadata directory. */
static char *
paths_list (VssBackupCmd *cmd)
{
  GString *list = g_string_new (NULL);
  for (guint i = 0; i < vss_backup_job_get_root_count (cmd->job); i++)
    g_string_append_printf (list, "%s\n", vss_backup_job_get_root (cmd->job, i));
  for (guint i = 0; i < vss_backup_job_get_image_root_count (cmd->job); i++) {
    const char *original = NULL;
    g_autofree char *staged = vss_backup_job_get_staged_image_root (cmd->job, i, &original);
    if (is_own_tree (cmd, original))
      g_string_append_printf (list, "%s\n", original);
  }
  g_string_append (list, VSS_VIEW_SET_DIR "\n");
  return g_string_free (list, FALSE);
}

char *
vss_backup_cmd_write_metadata (VssBackupCmd *cmd, int *out_lock, GError **error)
{
  if (cmd->set_id == NULL)
    cmd->set_id = g_uuid_string_random ();
  remove_orphaned_metadata ();
  g_autofree char *dir = g_dir_make_tmp (METADATA_PREFIX "XXXXXX", error);
  if (dir == NULL)
    return NULL;
  *out_lock = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*out_lock >= 0)
    flock (*out_lock, LOCK_EX);
  g_autofree char *writers = g_build_filename (dir, "writers", NULL);
  g_autofree char *bcd = vss_backup_components_save_as_json (
      vss_backup_job_get_backup_components (cmd->job), error);
  g_autofree char *components = components_json (cmd);
  g_autofree char *paths = paths_list (cmd);
  gboolean ok = bcd != NULL && g_mkdir (writers, 0755) == 0 && write_writers (cmd, dir, error) &&
                write_file (dir, "bcd.json", bcd, error) &&
                write_file (dir, "components.json", components, error) &&
                write_file (dir, "paths", paths, error);
  if (!ok) {
    vss_backup_cmd_remove_metadata (dir, *out_lock);
    *out_lock = -1;
    if (error != NULL && *error == NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot write %s: %s", writers,
                   g_strerror (errno));
    return NULL;
  }
  g_chmod (dir, 0755);   /* the command may drop privileges; the view is read-only anyway */
  return g_steal_pointer (&dir);
}

/* Removes every file of @dir (whatever a killed run got to write, its
 * temporaries too), then @dir itself. */
static void
remove_flat (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *name; d != NULL && (name = g_dir_read_name (d)) != NULL;) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
}

void
vss_backup_cmd_remove_metadata (const char *dir, int lock)
{
  if (dir == NULL)
    return;
  g_autofree char *writers = g_build_filename (dir, "writers", NULL);
  remove_flat (writers);
  remove_flat (dir);
  if (lock >= 0)
    close (lock);   /* after the removal: nobody takes it for an orphan meanwhile */
}

/* What the view shows where: pairs of (shown, original). */
typedef struct {
  char *shown;
  char *original;
} ViewMount;

static void
view_mount_free (ViewMount *m)
{
  g_free (m->shown);
  g_free (m->original);
  g_free (m);
}

/* Outer directories first: a staged image directory inside a --path tree
 * is mounted over that tree's snapshot, not hidden by it. */
static gint
by_depth (gconstpointer a, gconstpointer b)
{
  const ViewMount *x = *(ViewMount *const *) a, *y = *(ViewMount *const *) b;
  return (gint) strlen (x->original) - (gint) strlen (y->original);
}

/* The snapshots of the roots, and the staged images of the writers that
 * served them (vss_backup_job_stage_images). */
static GPtrArray *
view_mounts (VssBackupCmd *cmd, GError **error)
{
  g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) view_mount_free);
  for (guint i = 0; i < vss_backup_job_get_root_count (cmd->job); i++) {
    const char *root = vss_backup_job_get_root (cmd->job, i);
    ViewMount m = { vss_backup_job_snapshot_path (cmd->job, root, error), g_strdup (root) };
    if (m.shown == NULL) {
      g_free (m.original);
      return NULL;
    }
    g_ptr_array_add (mounts, g_memdup2 (&m, sizeof m));
  }
  for (guint i = 0; i < vss_backup_job_get_image_root_count (cmd->job); i++) {
    const char *original = NULL;
    ViewMount m = { vss_backup_job_get_staged_image_root (cmd->job, i, &original), NULL };
    m.original = g_strdup (original);
    g_ptr_array_add (mounts, g_memdup2 (&m, sizeof m));
  }
  g_ptr_array_sort (mounts, by_depth);
  return g_steal_pointer (&mounts);
}

VssSnapshotView *
vss_backup_cmd_make_view (VssBackupCmd *cmd, const char *metadata_dir, GError **error)
{
  g_autoptr(GPtrArray) mounts = view_mounts (cmd, error);
  if (mounts == NULL)
    return NULL;
  g_autoptr(VssSnapshotView) view = vss_snapshot_view_new ();
  for (guint i = 0; i < mounts->len; i++) {
    const ViewMount *m = g_ptr_array_index (mounts, i);
    vss_snapshot_view_add (view, m->shown, m->original);
  }
  vss_snapshot_view_set_metadata_dir (view, metadata_dir);
  return g_steal_pointer (&view);
}

/* vss's environment plus what docs/vss.1 promises the command. */
char **
vss_backup_cmd_view_env (VssBackupCmd *cmd)
{
  char **env = g_get_environ ();
  g_autoptr(GString) pairs = g_string_new (NULL);
  for (guint i = 0; i < vss_backup_job_get_snapshot_count (cmd->job); i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_job_get_snapshot (cmd->job, i);
    if (prop == NULL)
      continue;
    if (i == 0) {
      env = g_environ_setenv (env, "VSS_SNAPSHOT_PATH", prop->snapshot_path, TRUE);
      env = g_environ_setenv (env, "VSS_SNAPSHOT_SET_ID", prop->snapshot_set_id, TRUE);
    }
    g_string_append_printf (pairs, "%s=%s\n", prop->original_path, prop->snapshot_path);
  }
  /* the writers' images, staged */
  for (guint i = 0; i < vss_backup_job_get_image_root_count (cmd->job); i++) {
    const char *original = NULL;
    g_autofree char *staged = vss_backup_job_get_staged_image_root (cmd->job, i, &original);
    g_string_append_printf (pairs, "%s=%s\n", original, staged);
  }
  /* --path-consistency=crash: the command reads those trees live */
  for (guint i = 0; i < vss_backup_job_get_live_root_count (cmd->job); i++)
    g_string_append_printf (pairs, "%s=%s\n", vss_backup_job_get_live_root (cmd->job, i),
                            vss_backup_job_get_live_root (cmd->job, i));
  env = g_environ_setenv (env, "VSS_SNAPSHOT_PATHS", pairs->str, TRUE);
  env = g_environ_setenv (env, "VSS_SET_DIR", VSS_VIEW_SET_DIR, TRUE);
  env = g_environ_setenv (env, "VSS_BCD", VSS_VIEW_SET_DIR "/bcd.json", TRUE);
  env = g_environ_setenv (env, "VSS_PATHS_FILE", VSS_VIEW_SET_DIR "/paths", TRUE);
  return env;
}
