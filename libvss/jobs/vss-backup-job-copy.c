/* vss-backup-job-copy.c — what a backup job does with the snapshot: copy
 * it into a backup set; then tell the writers which components made it
 * (backup_succeeded). */
#include "vss-backup-job-private.h"

#include <ftw.h>
#include <sys/stat.h>

static gboolean
writer_failed (VssBackupJob *job, const VssSelected *s)
{
  return g_hash_table_contains (job->failed_writers, vss_writer_metadata_get_writer_name (s->metadata));
}

static gboolean
mark_one (VssBackupJob *job, const VssSelected *s, gboolean succeeded, GError **error)
{
  vss_backup_job_set_result (job, s->key, succeeded, NULL);
  if (succeeded)
    job->components_ok++;
  else
    job->components_failed++;
  return vss_backup_components_set_backup_succeeded (
      job->bc, vss_writer_metadata_get_instance_id (s->metadata),
      vss_writer_metadata_get_writer_id (s->metadata), vss_wm_component_get_type (s->component),
      vss_wm_component_get_logical_path (s->component), vss_wm_component_get_name (s->component),
      succeeded, error);
}

gboolean
vss_backup_job_mark (VssBackupJob *job, gboolean succeeded, GError **error)
{
  job->components_ok = job->components_failed = 0;
  g_ptr_array_set_size (job->results, 0);
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    if (!mark_one (job, s, succeeded && !writer_failed (job, s), error))
      return FALSE;
  }
  return TRUE;
}

/* ---- --to: the backup set ---- */

typedef struct {
  VssBackupJob *job;
  guint64 total;
  gboolean all_done;          /* done == total was reported */
} Progress;

/* @done: the bytes in the set so far, over every component; never more
 * than the total measured before (a file left out takes none) */
static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  Progress *p = user_data;
  const VssBackupJobObserver *o = &p->job->observer;
  if (o->progress == NULL || p->all_done)
    return;
  p->all_done = done >= p->total;
  o->progress (MIN (done, p->total), p->total, path, p->job->observer_data);
}

static void
tell_result (VssBackupJob *job)
{
  const VssBackupResult *r = g_ptr_array_index (job->results, job->results->len - 1);
  if (job->observer.component_done != NULL)
    job->observer.component_done (r, job->observer_data);
}

/* nftw passes no user data: one sum per thread, so jobs on two threads do not mix */
static _Thread_local guint64 walk_bytes;
static int
add_size (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  if (flag == FTW_F && S_ISREG (st->st_mode))
    walk_bytes += (guint64) st->st_size;
  return 0;
}

static guint64
tree_bytes (const char *path)
{
  walk_bytes = 0;
  nftw (path, add_size, 32, FTW_PHYS);
  return walk_bytes;
}

typedef struct {
  const VssWmFile *file;
  gboolean is_log;
} FileSet;

static GArray *
file_sets (const VssWmComponent *c, VssBackupType type)
{
  GArray *sets = g_array_new (FALSE, FALSE, sizeof (FileSet));
  gboolean logs_only = type == VSS_BT_LOG;
  for (guint i = 0; !logs_only && i < vss_wm_component_get_file_count (c); i++)
    g_array_append_val (sets, ((FileSet) { vss_wm_component_get_file (c, i), FALSE }));
  for (guint i = 0; !logs_only && i < vss_wm_component_get_database_file_count (c); i++)
    g_array_append_val (sets, ((FileSet) { vss_wm_component_get_database_file (c, i), FALSE }));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    g_array_append_val (sets, ((FileSet) { vss_wm_component_get_log_file (c, i), TRUE }));
  return sets;
}

/* Copy once: a file set read from an image the requester owns (the copy
 * provider's staged copy) has its files moved into the set, not copied
 * again, when nothing else of this backup reads them there. */
static gboolean
image_is_ours (VssBackupJob *job, const char *path)
{
  const char *id = vss_backup_job_snapshot_id (job, path);
  g_autoptr(GError) error = NULL;
  if (id == NULL || !vss_backup_components_take_snapshot_image (job->bc, id, &error)) {
    g_debug ("copying %s: %s", path, error != NULL ? error->message : "read live");
    return FALSE;
  }
  return TRUE;
}

static gboolean
overlaps (const char *a, const char *b)
{
  return vss_backup_job_is_within (a, b) || vss_backup_job_is_within (b, a);
}

/* Would a file set of another component, or a --path tree, read the
 * files of @s's file set at @path (as declared)?  One of another
 * component of the same writer nested in it, or it in one, does not: the
 * outer leaves the inner's directory out (vss_backup_job_file_sets_nest).
 * The same component's own file sets skip what it already holds. */
static gboolean
read_elsewhere (VssBackupJob *job, const VssSelected *s, const char *path)
{
  g_autofree char *canonical = vss_backup_job_canonical (path);
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++)
    if (overlaps (job->paths[i], canonical))
      return TRUE;
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *o = g_ptr_array_index (job->selected, i);
    if (o == s || vss_backup_job_is_image (job, o))
      continue;
    g_autoptr(GArray) sets = file_sets (o->component, job->type);
    for (guint k = 0; k < sets->len; k++) {
      const char *declared = vss_wm_file_get_path (g_array_index (sets, FileSet, k).file);
      g_autofree char *other = vss_backup_job_canonical (declared);
      if (overlaps (other, canonical) &&
          !(o->metadata == s->metadata && vss_backup_job_file_sets_nest (declared, path)))
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
file_set_may_move (VssBackupJob *job, const VssSelected *s, const char *path)
{
  g_autofree char *canonical = vss_backup_job_canonical (path);
  return !read_elsewhere (job, s, path) && image_is_ours (job, canonical);
}

/* A --path tree moves unless another nests with it; the writers'
 * components were copied before. */
static gboolean
path_may_move (VssBackupJob *job, guint i)
{
  for (guint j = 0; job->paths[j] != NULL; j++)
    if (j != i && overlaps (job->paths[j], job->paths[i]))
      return FALSE;
  return image_is_ours (job, job->paths[i]);
}

static gboolean
copy_file_set (VssBackupJob *job, VssBackupSetWriter *set, const char *key, const char *path,
               const char *filespec, gboolean recursive, Progress *progress, GError **error)
{
  g_autofree char *snap = vss_backup_job_snapshot_path (job, path, error);
  if (snap == NULL)
    return FALSE;
  return vss_backup_set_writer_add_files (set, key, snap, path, filespec, recursive,
                                          job->base_set, on_progress, progress, error);
}

static gboolean
copy_component (VssBackupJob *job, VssBackupSetWriter *set, const VssSelected *s,
                Progress *progress, GError **error)
{
  g_autoptr(GArray) sets = vss_backup_job_is_image (job, s)
                                ? g_array_new (FALSE, FALSE, sizeof (FileSet))
                                : file_sets (s->component, job->type);
  vss_backup_job_set_writer_excludes (set, s);
  if (!vss_backup_job_add_post_snapshot_files (job, set, s, error))
    return FALSE;
  on_progress (vss_backup_set_writer_get_bytes (set), progress->total, NULL, progress);
  for (guint i = 0; i < sets->len; i++) {
    const VssWmFile *f = g_array_index (sets, FileSet, i).file;
    vss_backup_set_writer_set_move_files (set, file_set_may_move (job, s, vss_wm_file_get_path (f)));
    gboolean copied = copy_file_set (job, set, s->key, vss_wm_file_get_path (f),
                                     vss_wm_file_get_filespec (f), vss_wm_file_get_recursive (f),
                                     progress, error);
    vss_backup_set_writer_set_move_files (set, FALSE);
    if (!copied)
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_fatal (const GError *error)
{
  /* A full disk or an unwritable target ends the whole set; a component
   * whose files vanished or cannot be read fails alone. */
  return g_error_matches (error, VSS_ERROR, VSS_ERROR_INSUFFICIENT_STORAGE) ||
         g_error_matches (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED);
}

static gboolean
copy_components (VssBackupJob *job, VssBackupSetWriter *set, Progress *progress, GError **error)
{
  job->components_ok = job->components_failed = 0;
  g_ptr_array_set_size (job->results, 0);
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    g_autoptr(GError) failure = NULL;
    gboolean ok = !writer_failed (job, s) && copy_component (job, set, s, progress, &failure);
    if (failure != NULL && is_fatal (failure)) {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
    if (!mark_one (job, s, ok, error))
      return FALSE;
    if (failure != NULL)
      vss_backup_job_set_result (job, s->key, FALSE, failure->message);
    tell_result (job);
  }
  vss_backup_set_writer_clear_exclude_files (set);
  /* --exclude is for the --path trees: a writer's files are its own to choose */
  vss_backup_set_writer_set_excludes (set, (const char *const *) job->excludes);
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++) {
    g_autofree char *key = g_strdup_printf ("path:%s", job->paths[i]);   /* canonical already */
    vss_backup_set_writer_set_move_files (set, path_may_move (job, i));
    gboolean copied = copy_file_set (job, set, key, job->paths[i], "*", TRUE, progress, error);
    vss_backup_set_writer_set_move_files (set, FALSE);
    if (!copied ||
        !vss_backup_set_writer_set_consistency (set, key, vss_backup_job_path_consistency (
                                                    job, job->paths[i]), error))
      return FALSE;
    vss_backup_job_set_result (job, key, TRUE, NULL);
    tell_result (job);
  }
  return TRUE;
}

static gboolean
add_writers_metadata (VssBackupJob *job, VssBackupSetWriter *set, GError **error)
{
  guint count = 0;
  if (!vss_backup_components_get_writer_metadata_count (job->bc, &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (job->bc, i, error);
    g_autofree char *json = md != NULL ? vss_writer_metadata_to_json (md) : NULL;
    if (json == NULL ||
        !vss_backup_set_writer_add_writer_metadata (set, vss_writer_metadata_get_writer_name (md),
                                                    json, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vss_backup_job_copy (VssBackupJob *job, GError **error)
{
  if (!vss_backup_job_has_target (job, error))
    return FALSE;
  const char *base_id = job->base_set != NULL ? vss_backup_set_get_id (job->base_set) : NULL;
  g_autoptr(VssBackupSetWriter) set = vss_backup_set_writer_new (job->to, job->type, base_id, error);
  if (set == NULL)
    return FALSE;
  Progress progress = { job, 0, FALSE };
  /* the snapshot's trees and the writers' images, which no tree holds */
  for (guint i = 0; i < job->roots->len; i++)
    progress.total += tree_bytes (g_ptr_array_index (job->roots, i));
  progress.total += vss_backup_job_post_snapshot_bytes (job);
  gboolean ok = copy_components (job, set, &progress, error) &&
                add_writers_metadata (job, set, error);
  if (ok && job->components_ok == 0 && (job->paths == NULL || job->paths[0] == NULL)) {
    /* a set holding nothing must not look like a backup */
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "no component could be backed up (see the writers' failures above), so no set "
                 "was written");
    ok = FALSE;
  }
  if (ok)
    on_progress (progress.total, progress.total, NULL, &progress);   /* all done */
  g_autofree char *bcd = ok ? vss_backup_components_save_as_json (job->bc, error) : NULL;
  ok = bcd != NULL && vss_backup_set_writer_commit (set, bcd, error);
  job->bytes = vss_backup_set_writer_get_bytes (set);
  job->entries = vss_backup_set_writer_get_entries (set);
  if (!ok) {
    /* No set was made: no writer may believe its data are safe. */
    vss_backup_job_mark (job, FALSE, NULL);
    job->components_failed = job->selected->len;
  }
  return ok;
}
