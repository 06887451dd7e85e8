/* cmd-restore-restic.c — `vss restore --from restic:REPO[:SNAPSHOT]`:
 * restic restores the snapshot into a staging directory, and the tree
 * with the set's metadata (VSS_VIEW_SET_DIR inside it) becomes a native
 * backup set next to it, which the library's restore job puts back with
 * the writers' pre_restore, refusals and post_restore like any other
 * set (docs/repositories.md). */
#include "vss-restic-restore.h"
#include "vss-restic.h"
#include "vss-snapshot-view.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>

/* The snapshot to restore: @wanted (an id or its prefix), or the newest
 * vss snapshot.  Its full id, or NULL. */
static char *
pick_snapshot (const char *repo, const char *wanted, GError **error)
{
  json_object *list = vss_restic_list_snapshots (repo, error);
  if (list == NULL)
    return NULL;
  json_object *found = NULL;
  for (size_t i = 0; list != NULL && i < json_object_array_length (list); i++) {
    json_object *snap = json_object_array_get_idx (list, i);
    const char *id = json_object_get_string (json_object_object_get (snap, "id"));
    if (wanted == NULL || g_str_equal (wanted, "latest") || g_str_has_prefix (id, wanted))
      found = snap;   /* restic lists oldest first: the last match is the newest */
  }
  char *id = found != NULL ? g_strdup (json_object_get_string (json_object_object_get (found, "id")))
                           : NULL;
  gboolean incomplete = FALSE;
  json_object *tags = found != NULL ? json_object_object_get (found, "tags") : NULL;
  for (size_t i = 0; tags != NULL && i < json_object_array_length (tags); i++)
    incomplete |= g_str_equal (json_object_get_string (json_object_array_get_idx (tags, i)),
                               VSS_RESTIC_TAG_INCOMPLETE);
  json_object_put (list);
  if (id == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "no vss snapshot %s in restic "
                 "repository %s (see 'vss sets --repo restic:%s')", wanted ? wanted : "", repo, repo);
  else if (incomplete)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "restic snapshot %.8s is tagged "
                 VSS_RESTIC_TAG_INCOMPLETE ": restic could not read some of its files", id);
  if (id == NULL || incomplete)
    g_clear_pointer (&id, g_free);
  return id;
}

static json_object *
read_json (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  json_object *obj = json_tokener_parse (text);
  if (obj == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s is not JSON", path);
  return obj;
}

static gboolean
add_file_set (VssBackupSetWriter *set, const char *tree, const char *key, const char *path,
              const char *filespec, gboolean recursive, GError **error)
{
  g_autofree char *staged = g_build_filename (tree, path, NULL);
  return vss_backup_set_writer_add_files (set, key, staged, path, filespec, recursive, NULL, NULL,
                                          NULL, error);
}

static gboolean
add_components (VssBackupSetWriter *set, const char *tree, json_object *index, GError **error)
{
  json_object *components = json_object_object_get (index, "components");
  for (size_t c = 0; components != NULL && c < json_object_array_length (components); c++) {
    json_object *comp = json_object_array_get_idx (components, c);
    const char *key = json_object_get_string (json_object_object_get (comp, "key"));
    if (json_object_get_boolean (json_object_object_get (comp, "failed")))
      continue;   /* its writer failed at the backup: not part of the set */
    json_object *sets = json_object_object_get (comp, "file_sets");
    for (size_t i = 0; sets != NULL && i < json_object_array_length (sets); i++) {
      json_object *fs = json_object_array_get_idx (sets, i);
      if (!add_file_set (set, tree, key, json_object_get_string (json_object_object_get (fs, "path")),
                         json_object_get_string (json_object_object_get (fs, "filespec")),
                         json_object_get_boolean (json_object_object_get (fs, "recursive")), error))
        return FALSE;
    }
  }
  json_object *paths = json_object_object_get (index, "paths");
  for (size_t i = 0; paths != NULL && i < json_object_array_length (paths); i++) {
    const char *path = json_object_get_string (json_object_array_get_idx (paths, i));
    g_autofree char *key = g_strdup_printf ("path:%s", path);
    if (!add_file_set (set, tree, key, path, "*", TRUE, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
add_writers (VssBackupSetWriter *set, const char *meta, GError **error)
{
  g_autofree char *dir = g_build_filename (meta, "writers", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  for (const char *name; (name = g_dir_read_name (d)) != NULL;) {
    if (!g_str_has_suffix (name, ".json"))
      continue;
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_autofree char *json = NULL;
    g_autofree char *writer = g_strndup (name, strlen (name) - strlen (".json"));
    if (!g_file_get_contents (path, &json, NULL, error) ||
        !vss_backup_set_writer_add_writer_metadata (set, writer, json, error))
      return FALSE;
  }
  return TRUE;
}

/* The restored tree as a native set at @set_dir. */
static gboolean
assemble_set (const char *tree, const char *set_dir, GError **error)
{
  g_autofree char *meta = g_build_filename (tree, VSS_VIEW_SET_DIR, NULL);
  json_object *index = read_json (meta, "components.json", error);
  if (index == NULL) {
    g_prefix_error (error, "not a vss snapshot (no " VSS_VIEW_SET_DIR "/components.json): ");
    return FALSE;
  }
  g_autofree char *bcd_path = g_build_filename (meta, "bcd.json", NULL);
  g_autofree char *bcd = NULL;
  VssBackupType type = VSS_BT_FULL;
  vss_backup_type_from_string (json_object_get_string (json_object_object_get (index, "type")), &type);
  g_autoptr(VssBackupSetWriter) set = vss_backup_set_writer_new (set_dir, type, NULL, error);
  gboolean ok = set != NULL && add_components (set, tree, index, error) &&
                add_writers (set, meta, error) && g_file_get_contents (bcd_path, &bcd, NULL, error) &&
                vss_backup_set_writer_commit (set, bcd, error);
  json_object_put (index);
  return ok;
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st; (void) ftw;
  return flag == FTW_DP ? g_rmdir (path) : g_unlink (path);
}

void
vss_restic_staging_remove (const char *staging)
{
  if (staging != NULL)
    nftw (staging, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

/* Beside the state directory: restic and the set both write there. */
static char *
make_staging (GError **error)
{
  const char *state = g_getenv ("VSS_STATE_DIR");
  g_autofree char *parent = g_build_filename (state != NULL && *state ? state : "/var/lib/vss",
                                              "staging", NULL);
  g_autofree char *templ = g_build_filename (parent, "restic-XXXXXX", NULL);
  if (g_mkdir_with_parents (parent, 0700) != 0 || g_mkdtemp_full (templ, 0700) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot make a staging directory in %s: %s",
                 parent, g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&templ);
}

char *
vss_restic_stage_set (const char *from, char **staging_out, GError **error)
{
  g_autofree char *repo = NULL, *wanted = NULL;
  vss_restic_parse (from, &repo, &wanted);
  g_autofree char *id = pick_snapshot (repo, wanted, error);
  if (id == NULL)
    return NULL;
  g_autofree char *staging = make_staging (error);
  if (staging == NULL)
    return NULL;
  g_autofree char *tree = g_build_filename (staging, "tree", NULL);
  g_autofree char *set_dir = g_build_filename (staging, "set", NULL);
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "restore", id, "--target", tree, NULL };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  if (!vss_restic_run ((const char *const *) argv->pdata, NULL, error) ||
      !assemble_set (tree, set_dir, error)) {
    vss_restic_staging_remove (staging);
    return NULL;
  }
  *staging_out = g_steal_pointer (&staging);
  return g_steal_pointer (&set_dir);
}
