/* vss-backup-job.c — the backup job: its options, the lifecycle in one
 * call (run), backup_complete, and what a caller reads back. */
#include "vss-backup-job-private.h"

#include <errno.h>
#include <stdlib.h>

static void
result_free (VssBackupResult *result)
{
  g_free ((char *) result->component);
  g_free ((char *) result->message);
  g_free (result);
}

VssBackupJob *
vss_backup_job_new (VssBackupType type, GError **error)
{
  if (type != VSS_BT_FULL && type != VSS_BT_COPY && type != VSS_BT_INCREMENTAL &&
      type != VSS_BT_DIFFERENTIAL && type != VSS_BT_LOG) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "a backup is full, copy, incremental, differential or log, not %s",
                 vss_backup_type_to_string (type));
    return NULL;
  }
  VssBackupJob *self = g_new0 (VssBackupJob, 1);
  self->type = type;
  self->path_consistency = g_strdup ("after-thaw");
  self->results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  return self;
}

void
vss_backup_job_free (VssBackupJob *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->selected, g_ptr_array_unref);
  g_clear_pointer (&self->roots, g_ptr_array_unref);
  g_clear_pointer (&self->set_roots, g_ptr_array_unref);
  g_clear_pointer (&self->snapshot_ids, g_ptr_array_unref);
  g_clear_pointer (&self->live_roots, g_ptr_array_unref);
  g_free (self->path_consistency);
  g_clear_pointer (&self->failed_writers, g_hash_table_unref);
  g_clear_pointer (&self->base_set, vss_backup_set_free);
  vss_backup_job_remove_staged_images (self);
  g_clear_pointer (&self->image_roots, g_ptr_array_unref);
  g_free (self->image_staging);
  /* Freeing aborts an unfinished backup: writers thawed, snapshots gone. */
  g_clear_pointer (&self->bc, vss_backup_components_free);
  g_free (self->to);
  g_strfreev (self->components);
  g_strfreev (self->paths);
  g_free (self->provider);
  g_free (self->base);
  g_strfreev (self->excludes);
  g_free (self->writer_path);
  g_ptr_array_unref (self->results);
  g_free (self);
}

static void
strv_add (char ***strv, const char *value)
{
  guint n = *strv != NULL ? g_strv_length (*strv) : 0;
  *strv = g_renew (char *, *strv, n + 2);
  (*strv)[n] = g_strdup (value);
  (*strv)[n + 1] = NULL;
}

void
vss_backup_job_select (VssBackupJob *self, const char *spec)
{
  strv_add (&self->components, spec);
}

/* Each path once, canonical: the snapshot set and the set's keys use it. */
gboolean
vss_backup_job_add_path (VssBackupJob *self, const char *path, GError **error)
{
  g_autofree char *canonical = realpath (path, NULL);
  if (canonical == NULL) {
    int saved = errno;
    g_set_error (error, VSS_ERROR,
                 saved == ENOENT ? VSS_ERROR_OBJECT_NOT_FOUND : VSS_ERROR_INVALID_ARG, "%s: %s",
                 path, g_strerror (saved));
    return FALSE;
  }
  strv_add (&self->paths, canonical);
  return TRUE;
}

void
vss_backup_job_add_exclude (VssBackupJob *self, const char *pattern)
{
  strv_add (&self->excludes, pattern);
}

gboolean
vss_backup_job_set_path_consistency (VssBackupJob *self, const char *mode, GError **error)
{
  if (!g_str_equal (mode, "freeze") && !g_str_equal (mode, "after-thaw") &&
      !g_str_equal (mode, "crash")) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "path consistency must be freeze, after-thaw or crash, not %s", mode);
    return FALSE;
  }
  g_free (self->path_consistency);
  self->path_consistency = g_strdup (mode);
  return TRUE;
}

void
vss_backup_job_set_base (VssBackupJob *self, const char *base_dir)
{
  g_free (self->base);
  self->base = g_strdup (base_dir);
}

void
vss_backup_job_set_provider (VssBackupJob *self, const char *provider)
{
  g_free (self->provider);
  self->provider = g_strdup (provider);
}

void
vss_backup_job_set_hold_limit (VssBackupJob *self, guint hold_limit_ms)
{
  self->hold_limit_ms = (int) MIN (hold_limit_ms, G_MAXINT);
}

void
vss_backup_job_set_target (VssBackupJob *self, const char *set_dir)
{
  g_free (self->to);
  self->to = g_strdup (set_dir);
}

void
vss_backup_job_set_writer_path (VssBackupJob *self, const char *path)
{
  g_free (self->writer_path);
  self->writer_path = g_strdup (path);
}

void
vss_backup_job_set_observer (VssBackupJob *self, const VssBackupJobObserver *observer,
                             gpointer user_data)
{
  self->observer = observer != NULL ? *observer : (VssBackupJobObserver) { 0 };
  self->observer_data = user_data;
}

gboolean
vss_backup_job_wait (VssBackupJob *job, VssAsync *async, const char *phase, GError **error)
{
  g_autoptr(VssAsync) owned = async;
  gint64 start = g_get_monotonic_time ();
  VssAsyncStatus status = vss_async_wait (owned, -1, error);
  if (job->observer.phase_done != NULL)
    job->observer.phase_done (phase, (g_get_monotonic_time () - start) / 1000.0,
                              status == VSS_ASYNC_FINISHED, job->observer_data);
  if (status == VSS_ASYNC_FINISHED)
    return TRUE;
  if (status == VSS_ASYNC_CANCELLED)
    g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "%s was cancelled", phase);
  return FALSE;
}

void
vss_backup_job_set_result (VssBackupJob *job, const char *key, gboolean succeeded,
                           const char *message)
{
  VssBackupResult *result = NULL;
  for (guint i = 0; i < job->results->len && result == NULL; i++)
    if (g_str_equal (((VssBackupResult *) g_ptr_array_index (job->results, i))->component, key))
      result = g_ptr_array_index (job->results, i);
  if (result == NULL) {
    result = g_new0 (VssBackupResult, 1);
    result->component = g_strdup (key);
    g_ptr_array_add (job->results, result);
  }
  result->succeeded = succeeded;
  g_free ((char *) result->message);
  result->message = g_strdup (message);
}

gboolean
vss_backup_job_complete (VssBackupJob *self, GError **error)
{
  VssAsync *async = NULL;
  guint count = 0;
  gboolean completed = vss_backup_components_backup_complete (self->bc, &async, error) &&
                       vss_backup_job_wait (self, async, "complete", error);
  /* the writers' statuses say how backup_complete went, even when it failed */
  if (!vss_backup_components_gather_writer_status (self->bc, &async, NULL) ||
      !vss_backup_job_wait (self, async, "status", NULL) ||
      !vss_backup_components_get_writer_status_count (self->bc, &count, NULL))
    count = 0;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) status = vss_backup_components_get_writer_status (self->bc, i, NULL);
    if (status != NULL && self->observer.writer_status != NULL)
      self->observer.writer_status (status, self->observer_data);
  }
  self->failed_writer_count = vss_backup_job_count_failed_writers (self);
  return completed;
}

gboolean
vss_backup_job_has_target (VssBackupJob *job, GError **error)
{
  if (job->to != NULL)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
               "no backup set to write: call vss_backup_job_set_target first");
  return FALSE;
}

gboolean
vss_backup_job_run (VssBackupJob *self, GError **error)
{
  if (self->ran) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "a backup job runs once");
    return FALSE;
  }
  self->ran = TRUE;
  /* the target is checked before anything is frozen */
  if (!vss_backup_job_has_target (self, error) || !vss_backup_job_plan (self, error) ||
      !vss_backup_job_snapshot (self, error) || !vss_backup_job_copy (self, error))
    return FALSE;   /* freeing the job aborts the backup */
  g_autoptr(GError) incomplete = NULL;
  if (!vss_backup_job_complete (self, &incomplete))
    g_warning ("the set %s is made, but backup_complete did not finish: %s", self->to,
               incomplete->message);
  return TRUE;
}

/* ---- getters ---- */

VssBackupComponents *
vss_backup_job_get_backup_components (VssBackupJob *self)
{
  return self->bc;
}

guint
vss_backup_job_get_component_count (const VssBackupJob *self)
{
  return self->selected != NULL ? self->selected->len : 0;
}

const VssWmComponent *
vss_backup_job_get_component (const VssBackupJob *self, guint index,
                              const VssWriterMetadata **metadata, const char **key)
{
  g_return_val_if_fail (index < vss_backup_job_get_component_count (self), NULL);
  const VssSelected *s = g_ptr_array_index (self->selected, index);
  if (metadata != NULL)
    *metadata = s->metadata;
  if (key != NULL)
    *key = s->key;
  return s->component;
}

gboolean
vss_backup_job_component_is_image (const VssBackupJob *self, guint index)
{
  g_return_val_if_fail (index < vss_backup_job_get_component_count (self), FALSE);
  return vss_backup_job_is_image (self, g_ptr_array_index (self->selected, index));
}

gboolean
vss_backup_job_writer_failed (const VssBackupJob *self, const char *writer_name)
{
  return self->failed_writers != NULL && g_hash_table_contains (self->failed_writers, writer_name);
}

static const char *
string_at (GPtrArray *strings, guint index)
{
  g_return_val_if_fail (strings != NULL && index < strings->len, NULL);
  return g_ptr_array_index (strings, index);
}

guint
vss_backup_job_get_root_count (const VssBackupJob *self)
{
  return self->roots != NULL ? self->roots->len : 0;
}

const char *
vss_backup_job_get_root (const VssBackupJob *self, guint index)
{
  return string_at (self->roots, index);
}

guint
vss_backup_job_get_snapshot_count (const VssBackupJob *self)
{
  return self->snapshot_ids != NULL ? self->snapshot_ids->len : 0;
}

const char *
vss_backup_job_get_snapshot_id (const VssBackupJob *self, guint index)
{
  return string_at (self->snapshot_ids, index);
}

VssSnapshotProp *
vss_backup_job_get_snapshot (VssBackupJob *self, guint index)
{
  const char *id = vss_backup_job_get_snapshot_id (self, index);
  return id != NULL ? vss_backup_components_get_snapshot_properties (self->bc, id, NULL) : NULL;
}

guint
vss_backup_job_get_live_root_count (const VssBackupJob *self)
{
  return self->live_roots != NULL ? self->live_roots->len : 0;
}

const char *
vss_backup_job_get_live_root (const VssBackupJob *self, guint index)
{
  return string_at (self->live_roots, index);
}

guint
vss_backup_job_get_result_count (const VssBackupJob *self)
{
  return self->results->len;
}

const VssBackupResult *
vss_backup_job_get_result (const VssBackupJob *self, guint index)
{
  g_return_val_if_fail (index < self->results->len, NULL);
  return g_ptr_array_index (self->results, index);
}

guint
vss_backup_job_get_components_ok (const VssBackupJob *self)
{
  return self->components_ok;
}

guint
vss_backup_job_get_components_failed (const VssBackupJob *self)
{
  return self->components_failed;
}

guint64
vss_backup_job_get_bytes (const VssBackupJob *self)
{
  return self->bytes;
}

guint
vss_backup_job_get_entries (const VssBackupJob *self)
{
  return self->entries;
}

guint
vss_backup_job_get_failed_writer_count (const VssBackupJob *self)
{
  return self->failed_writer_count;
}
