/* cmd-backup-plan.c — what `vss backup` checks before any writer is
 * frozen, and what --dry-run shows instead of freezing.
 *
 * A backup that is bound to fail must fail before the writers hold their
 * applications still: the target, the base set and the free space are
 * checked first, each with a message that says what to do. */
#include "vss-backup-job.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The set's directory must not exist; its parent must be a writable
 * directory. */
static gboolean
check_target (const char *to, GError **error)
{
  if (g_file_test (to, G_FILE_TEST_EXISTS)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "--to %s exists: a backup set is written to a new directory; choose another "
                 "name or remove it", to);
    return FALSE;
  }
  g_autofree char *parent = g_path_get_dirname (to);
  if (!g_file_test (parent, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "--to %s: its parent %s is not a directory; create it first (mkdir -p %s)", to,
                 parent, parent);
    return FALSE;
  }
  if (access (parent, W_OK | X_OK) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "--to %s: cannot write in %s (%s); run as a user who may, or choose another "
                 "place", to, parent, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_backup_job_preflight (VssBackupJob *job, GError **error)
{
  if (job->to != NULL && !check_target (job->to, error))
    return FALSE;
  if (job->base == NULL)
    return TRUE;
  /* the base and its chain, whole, before anything is frozen */
  g_autoptr(GPtrArray) chain = NULL;
  job->base_set = vss_backup_set_open (job->base, error);
  if (job->base_set == NULL || !vss_backup_set_find_chain (job->base_set, &chain, error)) {
    g_prefix_error (error, "--base %s: ", job->base);
    return FALSE;
  }
  return TRUE;
}

/* ---- space ---- */

static guint64 walk_bytes;

static int
add_allocated (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) path;
  (void) ftw;
  if (flag == FTW_F && S_ISREG (st->st_mode))
    walk_bytes += (guint64) st->st_blocks * 512;   /* holes take no room in the set */
  return 0;
}

guint64
vss_backup_job_estimate_bytes (VssBackupJob *job)
{
  guint64 total = 0;
  for (guint i = 0; i < job->roots->len; i++) {
    walk_bytes = 0;
    nftw (g_ptr_array_index (job->roots, i), add_allocated, 32, FTW_PHYS);
    total += walk_bytes;
  }
  return total;
}

/* A full or copy set needs about as much room as the data it copies; an
 * incremental one only what changed, which is not known before. */
gboolean
vss_backup_job_check_space (VssBackupJob *job, GError **error)
{
  if (job->to == NULL || (job->type != VSS_BT_FULL && job->type != VSS_BT_COPY))
    return TRUE;
  g_autofree char *parent = g_path_get_dirname (job->to);
  struct statvfs fs;
  if (statvfs (parent, &fs) != 0)
    return TRUE;   /* the copy will say what is wrong */
  guint64 free_bytes = (guint64) fs.f_bavail * fs.f_frsize;
  guint64 needed = vss_backup_job_estimate_bytes (job);
  if (needed <= free_bytes)
    return TRUE;
  g_autofree char *need_s = g_format_size (needed);
  g_autofree char *free_s = g_format_size (free_bytes);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INSUFFICIENT_STORAGE,
               "not enough space for the set: about %s to copy, %s free in %s; free some room "
               "or choose another --to", need_s, free_s, parent);
  return FALSE;
}

/* ---- --dry-run ---- */

static void
show_components (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    gboolean image = vss_backup_job_is_image (job, s);
    vss_cli_print (cli, "would freeze and back up %s%s\n", s->key,
                   image ? " (its writer serves it as an image: no snapshot)" : "");
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "component", json_object_new_string (s->key));
    json_object_object_add (obj, "writer",
                            json_object_new_string (vss_writer_metadata_get_writer_name (s->metadata)));
    json_object_object_add (obj, "image", json_object_new_boolean (image));
    vss_cli_emit (cli, "plan-component", obj);
  }
}

static void
show_snapshots (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->snapshot_ids->len; i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        job->bc, g_ptr_array_index (job->snapshot_ids, i), NULL);
    if (prop == NULL)
      continue;
    vss_cli_print (cli, "would snapshot %s with the %s provider\n", prop->original_path,
                   prop->provider);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (prop->original_path));
    json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
    vss_cli_emit (cli, "plan-snapshot", obj);
  }
  for (guint i = 0; i < job->live_roots->len; i++)
    vss_cli_print (cli, "would read %s live, with no snapshot (--path-consistency=crash)\n",
                   (const char *) g_ptr_array_index (job->live_roots, i));
}

int
vss_backup_job_show_plan (VssCli *cli, VssBackupJob *job)
{
  show_components (cli, job);
  show_snapshots (cli, job);
  guint64 bytes = vss_backup_job_estimate_bytes (job);
  g_autofree char *size = g_format_size (bytes);
  vss_cli_print (cli, "would copy about %s%s%s; nothing was frozen\n", size,
                 job->to != NULL ? " into " : "", job->to != NULL ? job->to : "");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string ("success"));
  json_object_object_add (obj, "exit_code", json_object_new_int (VSS_EXIT_OK));
  json_object_object_add (obj, "dry_run", json_object_new_boolean (TRUE));
  json_object_object_add (obj, "components", json_object_new_int ((int) job->selected->len));
  json_object_object_add (obj, "bytes_estimated", json_object_new_int64 ((gint64) bytes));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}
