/* vss-restore-files.c — file-level restore to an alternate location
 * (vss-restore-files.h). */
#include "vss-restore-files.h"
#include "vss-restic.h"
#include "vss-set-tree.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies @e's data to @target through a temporary file, hashed as the
 * set records it once written; renamed into place only when the digest
 * matches. */
static gboolean
copy_file (const VssTreeEntry *e, const char *target, GError **error)
{
  g_autofree char *tmp = g_strconcat (target, ".vss-tmp", NULL);
  int in = e->data != NULL ? open (e->data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
  int out = in >= 0 ? open (tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
  char buf[1 << 16];
  ssize_t n = 0;
  gboolean ok = out >= 0;
  while (ok && (n = read (in, buf, sizeof buf)) > 0)
    ok = write (out, buf, (size_t) n) == n;
  int saved = errno;
  ok = ok && n == 0 && fsync (out) == 0;
  char digest[65] = "";
  ok = ok && vss_backup_set_digest_fd (out, e->sha256_tree, digest, NULL);
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  if (ok && g_strcmp0 (digest, e->sha256) != 0) {
    g_unlink (tmp);
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "checksum mismatch: %s (the data of %s)",
                 e->data, e->path);
    return FALSE;
  }
  if (!ok || g_rename (tmp, target) != 0) {
    g_unlink (tmp);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot restore %s to %s: %s", e->path,
                 target, g_strerror (ok ? errno : saved));
    return FALSE;
  }
  return TRUE;
}

static void
set_attributes (const VssTreeEntry *e, const char *target)
{
  if (e->type != VSS_TREE_SYMLINK)
    g_chmod (target, (int) e->mode);
  if (geteuid () == 0 && lchown (target, e->uid, e->gid) != 0)
    g_debug ("lchown %s: %s", target, g_strerror (errno));
  struct timespec times[2] = {
    { e->mtime_nsec / 1000000000, e->mtime_nsec % 1000000000 },
    { e->mtime_nsec / 1000000000, e->mtime_nsec % 1000000000 },
  };
  utimensat (AT_FDCWD, target, times, AT_SYMLINK_NOFOLLOW);
}

static gboolean
restore_entry (const VssTreeEntry *e, const char *to, GError **error)
{
  g_autofree char *target = g_build_filename (to, e->path, NULL);
  g_autofree char *parent = g_path_get_dirname (target);
  if (g_mkdir_with_parents (parent, 0700) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot create %s: %s", parent, g_strerror (errno));
    return FALSE;
  }
  gboolean ok = TRUE;
  if (e->type == VSS_TREE_DIR)
    ok = g_mkdir (target, 0700) == 0 || errno == EEXIST;
  else if (e->type == VSS_TREE_SYMLINK)
    ok = (g_unlink (target) == 0 || errno == ENOENT) && symlink (e->target, target) == 0;
  else
    return copy_file (e, target, error) && (set_attributes (e, target), TRUE);
  if (!ok) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot restore %s: %s", target, g_strerror (errno));
    return FALSE;
  }
  set_attributes (e, target);
  return TRUE;
}

static int
restore_native (VssCli *cli, const char *from, char **includes, const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetTree) tree = vss_set_tree_load (from, &error);
  if (tree == NULL)
    return vss_cli_fail (cli, error);
  guint restored = 0;
  for (guint i = 0; includes[i] != NULL; i++) {
    g_autofree char *path = g_canonicalize_filename (includes[i], "/");
    g_autoptr(GPtrArray) entries = vss_set_tree_under (tree, path);
    if (entries->len == 0) {
      g_set_error (&error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s is not in %s (see 'vss ls %s')",
                   path, from, from);
      return vss_cli_fail (cli, error);
    }
    /* directories last, so their times are not changed by what goes in them */
    for (guint pass = 0; pass < 2; pass++)
      for (guint k = 0; k < entries->len; k++) {
        const VssTreeEntry *e = entries->pdata[pass == 0 ? k : entries->len - 1 - k];
        if ((e->type == VSS_TREE_DIR) != (pass == 1))
          continue;
        if (!restore_entry (e, to, &error))
          return vss_cli_fail (cli, error);
        restored += e->type != VSS_TREE_DIR;
      }
  }
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string ("success"));
  json_object_object_add (obj, "files", json_object_new_int ((int) restored));
  json_object_object_add (obj, "to", json_object_new_string (to));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "restored %u file(s) under %s (no writer was involved)\n", restored, to);
  return VSS_EXIT_OK;
}

/* restic does file-level restores itself. */
static int
restore_restic (VssCli *cli, const char *from, char **includes, const char *to)
{
  g_autofree char *repo = NULL, *snapshot = NULL;
  vss_restic_parse (from, &repo, &snapshot);
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "restore", "--tag", VSS_RESTIC_TAG, snapshot ? snapshot : "latest",
                          "--target", to };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  for (guint i = 0; includes[i] != NULL; i++) {
    g_ptr_array_add (argv, g_strdup ("--include"));
    g_ptr_array_add (argv, g_strdup (includes[i]));
  }
  g_ptr_array_add (argv, NULL);
  g_autoptr(GError) error = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, NULL, &error))
    return vss_cli_fail (cli, error);
  vss_cli_print (cli, "restored under %s by restic (no writer was involved)\n", to);
  return VSS_EXIT_OK;
}

int
vss_restore_files (VssCli *cli, const char *from, char **includes, const char *to)
{
  return vss_restic_is_repo (from) ? restore_restic (cli, from, includes, to)
                                   : restore_native (cli, from, includes, to);
}
