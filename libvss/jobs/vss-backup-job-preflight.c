/* vss-backup-job-preflight.c — what a backup job checks before any
 * writer is frozen.
 *
 * A backup that is bound to fail must fail before the writers hold their
 * applications still: the target, the base set and the free space are
 * checked first, each with a message that says what to do. */
#include "vss-backup-job-private.h"

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

/* nftw passes no user data: one sum per thread, so jobs on two threads do not mix */
static _Thread_local guint64 walk_bytes;

static int
add_allocated (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) path;
  (void) ftw;
  if (flag == FTW_F && S_ISREG (st->st_mode))
    walk_bytes += (guint64) st->st_blocks * 512;   /* holes take no room in the set */
  return 0;
}

static guint64
allocated_bytes (GPtrArray *roots)
{
  guint64 total = 0;
  for (guint i = 0; i < roots->len; i++) {
    walk_bytes = 0;
    nftw (g_ptr_array_index (roots, i), add_allocated, 32, FTW_PHYS);
    total += walk_bytes;
  }
  return total;
}

/* The writers' images are not known before their pins (in the freeze):
 * their stores' room on disk stands for them (an image never holds more
 * than its store's pages in use). */
guint64
vss_backup_job_estimate_image_bytes (VssBackupJob *job)
{
  g_autoptr(GPtrArray) image_roots = vss_backup_job_image_roots (job);
  return allocated_bytes (image_roots);
}

guint64
vss_backup_job_estimate_bytes (VssBackupJob *job)
{
  return allocated_bytes (job->roots) + vss_backup_job_estimate_image_bytes (job);
}

/* A full or copy set needs about as much room as the data it copies; an
 * incremental one only what changed, which is not known before. */
gboolean
vss_backup_job_check_space (VssBackupJob *job, GError **error)
{
  if (job->to == NULL || (job->type != VSS_BT_FULL && job->type != VSS_BT_COPY))
    return TRUE;
  g_autofree char *parent = g_path_get_dirname (job->to);
  return vss_backup_job_check_room (parent, vss_backup_job_estimate_bytes (job), "for the set",
                                    "choose another --to", error);
}

gboolean
vss_backup_job_check_room (const char *dir, guint64 needed, const char *what, const char *advice,
                           GError **error)
{
  struct statvfs fs;
  if (statvfs (dir, &fs) != 0)
    return TRUE;   /* the writes will say what is wrong */
  guint64 free_bytes = (guint64) fs.f_bavail * fs.f_frsize;
  if (needed <= free_bytes)
    return TRUE;
  g_autofree char *need_s = g_format_size (needed);
  g_autofree char *free_s = g_format_size (free_bytes);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INSUFFICIENT_STORAGE,
               "not enough space %s: about %s needed, %s free in %s; free some room there or %s",
               what, need_s, free_s, dir, advice);
  return FALSE;
}
