/* cmd-ls.c — `vss ls SET [PATH]`: the files of a set as of its backup
 * (a chain's whole tree), or of a vss snapshot in a restic repository. */
#include "vss-options.h"
#include "vss-restic.h"
#include "vss-set-tree.h"

static const char *
type_name (VssTreeType type)
{
  return type == VSS_TREE_DIR ? "dir" : type == VSS_TREE_SYMLINK ? "symlink" : "file";
}

static void
show (VssCli *cli, const VssTreeEntry *e)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (e->mtime_nsec / 1000000000);
  g_autofree char *when = t != NULL ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (e->path));
  json_object_object_add (obj, "kind", json_object_new_string (type_name (e->type)));
  json_object_object_add (obj, "size", json_object_new_int64 ((gint64) e->size));
  json_object_object_add (obj, "mode", json_object_new_int ((int) e->mode));
  json_object_object_add (obj, "mtime", json_object_new_string (when));
  json_object_object_add (obj, "component", json_object_new_string (e->component));
  if (e->sha256 != NULL)
    json_object_object_add (obj, e->sha256_tree ? "sha256_tree" : "sha256",
                            json_object_new_string (e->sha256));
  vss_cli_emit (cli, "entry", obj);
  vss_cli_print (cli, "%c%04o %10" G_GUINT64_FORMAT " %s  %s%s%s\n",
                 e->type == VSS_TREE_DIR ? 'd' : e->type == VSS_TREE_SYMLINK ? 'l' : '-', e->mode,
                 e->size, when, e->path, e->target ? " -> " : "", e->target ? e->target : "");
}

static int
ls_native (VssCli *cli, const char *set_dir, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetTree) tree = vss_set_tree_load (set_dir, &error);
  if (tree == NULL)
    return vss_cli_fail (cli, error);
  g_autoptr(GPtrArray) entries = vss_set_tree_under (tree, path);
  for (guint i = 0; i < entries->len; i++)
    show (cli, entries->pdata[i]);
  if (entries->len == 0 && !g_str_equal (path, "/")) {
    g_set_error (&error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s is not in %s", path, set_dir);
    return vss_cli_fail (cli, error);
  }
  return VSS_EXIT_OK;
}

/* restic's own listing, which already is the tree of that snapshot. */
static int
ls_restic (VssCli *cli, const char *store, const char *path)
{
  g_autofree char *repo = NULL, *snapshot = NULL;
  vss_restic_parse (store, &repo, &snapshot);
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "ls", "--tag", VSS_RESTIC_TAG, snapshot ? snapshot : "latest", path, NULL };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, &out, &error))
    return vss_cli_fail (cli, error);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++) {   /* line 0 names the snapshot */
    if (*lines[i] == '\0')
      continue;
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (lines[i]));
    vss_cli_emit (cli, "entry", obj);
    vss_cli_print (cli, "%s\n", lines[i]);
  }
  return VSS_EXIT_OK;
}

int
vss_cmd_ls (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "ls", "SET [PATH]",
                            "List the files of a backup set as of its backup (for an incremental or "
                            "log set, the tree its chain gives),\nor of a vss snapshot "
                            "(restic:REPO[:SNAPSHOT]); only PATH and below when given.", NULL, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc < 2 || argc > 3)
    return vss_cli_usage (cli, "ls", "give a set (a directory or restic:REPO[:SNAPSHOT]) and optionally a path");
  const char *path = argc == 3 ? argv[2] : "/";
  if (!g_path_is_absolute (path))
    return vss_cli_usage (cli, "ls", "PATH is an original absolute path, like /var/lib/ca");
  g_autofree char *clean = g_canonicalize_filename (path, "/");
  return vss_restic_is_repo (argv[1]) ? ls_restic (cli, argv[1], clean) : ls_native (cli, argv[1], clean);
}
