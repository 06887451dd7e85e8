/* vss-restore-job.c — a restore job: its options, the chain of restore
 * sessions a set needs, and the outcome of every component.  One session
 * (the writers' pre_restore, the files, post_restore) is in
 * vss-restore-session.c. */
#include "vss-restore-job-private.h"

#include "coordinator/vss-snapshot-lock.h"

#include <stdlib.h>
#include <string.h>

static void
result_free (VssRestoreResult *result)
{
  g_free ((char *) result->component);
  g_free ((char *) result->message);
  g_free ((char *) result->set_dir);
  g_free (result);
}

const char *
vss_restore_outcome_to_string (VssRestoreOutcome outcome)
{
  switch (outcome) {
  case VSS_RESTORE_OUTCOME_RESTORED: return "restored";
  case VSS_RESTORE_OUTCOME_REFUSED: return "refused";
  case VSS_RESTORE_OUTCOME_FAILED: return "failed";
  }
  return "unknown";
}

VssRestoreJob *
vss_restore_job_new (const char *set_dir, GError **error)
{
  g_return_val_if_fail (set_dir != NULL, NULL);
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, error);
  GPtrArray *chain = NULL;
  if (set == NULL || !vss_backup_set_find_chain (set, &chain, error))
    return NULL;
  VssRestoreJob *self = g_new0 (VssRestoreJob, 1);
  self->set = g_steal_pointer (&set);
  self->chain = chain;
  self->specs = g_ptr_array_new_with_free_func (g_free);
  self->mappings = g_ptr_array_new_with_free_func (g_free);
  self->results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  return self;
}

void
vss_restore_job_free (VssRestoreJob *self)
{
  if (self == NULL)
    return;
  vss_backup_set_free (self->set);
  g_ptr_array_unref (self->chain);
  g_ptr_array_unref (self->specs);
  g_ptr_array_unref (self->mappings);
  g_ptr_array_unref (self->results);
  g_free (self->root);
  g_free (self->writer_path);
  g_free (self);
}

void
vss_restore_job_select (VssRestoreJob *self, const char *spec)
{
  g_return_if_fail (self != NULL && spec != NULL);
  g_ptr_array_add (self->specs, g_strdup (spec));
}

gboolean
vss_restore_job_set_root (VssRestoreJob *self, const char *root, GError **error)
{
  g_return_val_if_fail (self != NULL && root != NULL, FALSE);
  if (!g_path_is_absolute (root) || self->mappings->len > 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "restore root %s: give an absolute path, and either a root or mappings, "
                 "not both", root);
    return FALSE;
  }
  /* "/" (however spelled) is the machine's own tree: a restore in place */
  char *real = realpath (root, NULL);
  gboolean in_place = real != NULL && g_str_equal (real, "/");
  free (real);
  g_free (self->root);
  self->root = in_place ? NULL : g_strdup (root);
  return TRUE;
}

gboolean
vss_restore_job_add_mapping (VssRestoreJob *self, const char *old, const char *new_path,
                             GError **error)
{
  g_return_val_if_fail (self != NULL && old != NULL && new_path != NULL, FALSE);
  if (!g_path_is_absolute (old) || !g_path_is_absolute (new_path) || self->root != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "mapping %s=%s: give two absolute paths, and either a root or mappings, "
                 "not both", old, new_path);
    return FALSE;
  }
  g_ptr_array_add (self->mappings, g_strdup (old));
  g_ptr_array_add (self->mappings, g_strdup (new_path));
  return TRUE;
}

void
vss_restore_job_set_writer_path (VssRestoreJob *self, const char *path)
{
  g_return_if_fail (self != NULL);
  g_free (self->writer_path);
  self->writer_path = g_strdup (path);
}

void
vss_restore_job_set_observer (VssRestoreJob *self, const VssRestoreJobObserver *observer,
                              gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->observer = observer != NULL ? *observer : (VssRestoreJobObserver) { 0 };
  self->observer_data = user_data;
}

gboolean
vss_restore_job_wants (const VssRestoreJob *self, const char *key)
{
  if (self->specs->len == 0)
    return TRUE;
  for (guint i = 0; i < self->specs->len; i++) {
    const char *spec = g_ptr_array_index (self->specs, i);
    if (g_str_equal (spec, key) || g_str_has_prefix (key, spec))
      return TRUE;
    /* WRITER:LOGICAL/NAME is the key WRITER/LOGICAL/NAME; a bare WRITER
     * takes all of that writer's components */
    g_autofree char *as_key = g_strdelimit (g_strdup (spec), ":", '/');
    if (g_str_equal (as_key, key) || (strchr (spec, ':') == NULL && g_str_has_prefix (key, as_key) &&
                                      key[strlen (as_key)] == '/'))
      return TRUE;
  }
  return FALSE;
}

char *
vss_restore_job_target_of (const VssRestoreJob *self, const char *path)
{
  if (self->root != NULL)
    return g_build_filename (self->root, path, NULL);
  for (guint i = 0; i + 1 < self->mappings->len; i += 2) {
    const char *old = g_ptr_array_index (self->mappings, i);
    gsize n = strlen (old);
    if (strncmp (path, old, n) == 0 && (path[n] == '\0' || path[n] == '/'))
      return g_strconcat (g_ptr_array_index (self->mappings, i + 1), path + n, NULL);
  }
  return NULL;
}

void
vss_restore_job_add_result (VssRestoreJob *self, const char *component, VssRestoreOutcome outcome,
                            const char *message, guint entries, const char *set_dir)
{
  VssRestoreResult *result = g_new0 (VssRestoreResult, 1);
  result->component = g_strdup (component);
  result->outcome = outcome;
  result->message = g_strdup (message);
  result->entries = entries;
  result->set_dir = g_strdup (set_dir);
  g_ptr_array_add (self->results, result);
  self->entries += entries;
  if (self->observer.component_done != NULL)
    self->observer.component_done (result, self->observer_data);
}

static gboolean
all_restored (const VssRestoreJob *self)
{
  for (guint i = 0; i < self->results->len; i++)
    if (((VssRestoreResult *) g_ptr_array_index (self->results, i))->outcome !=
        VSS_RESTORE_OUTCOME_RESTORED)
      return FALSE;
  return TRUE;
}

/* A log set holds only the log written since the set before it, so each
 * set of its chain is restored in turn, and the writer applies one
 * (post_restore) before the next replaces it.  Any other set is one
 * session: its bases only lend it the data of unchanged files. */
gboolean
vss_restore_job_run (VssRestoreJob *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->ran) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "this restore job has run: create a new one to restore again");
    return FALSE;
  }
  self->ran = TRUE;
  /* A restore in place and a backup's freeze exclude each other: both
   * take the machine's snapshot-set lock (a restore elsewhere touches no
   * live store and may run beside a backup). */
  g_autoptr(VssSnapshotLock) lock = NULL;
  if (self->root == NULL) {
    g_autofree char *holder = g_strdup_printf ("restore of %s", vss_backup_set_get_id (self->set));
    lock = vss_snapshot_lock_acquire (holder, error);
    if (lock == NULL)
      return FALSE;
  }
  gboolean layered = vss_backup_set_get_backup_type (self->set) == VSS_BT_LOG;
  guint first = layered ? 0 : self->chain->len;
  g_autoptr(GPtrArray) before = g_ptr_array_new ();   /* borrowed from self->chain */
  for (guint i = 0; i < first; i++)
    g_ptr_array_add (before, g_ptr_array_index (self->chain, i));
  for (guint i = first; i <= self->chain->len; i++) {
    VssBackupSet *set = i < self->chain->len ? g_ptr_array_index (self->chain, i) : self->set;
    gboolean more_follow = i < self->chain->len;
    self->sets = i - first + 1;
    if (self->observer.set_started != NULL)
      self->observer.set_started (vss_backup_set_get_dir (set), vss_backup_set_get_backup_type (set),
                                  i - first, self->chain->len + 1 - first, self->observer_data);
    if (!vss_restore_session_run (self, set, before, more_follow, error))
      return FALSE;
    if (more_follow && !all_restored (self)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_PARTIAL_FAILURE,
                   "stopped at %s: the later sets of the chain were not applied, so the store is "
                   "not at the state of %s; fix the problem above and restore %s again",
                   vss_backup_set_get_dir (set), vss_backup_set_get_dir (self->set),
                   vss_backup_set_get_dir (self->set));
      return FALSE;
    }
    g_ptr_array_add (before, set);
  }
  return TRUE;
}

guint
vss_restore_job_get_result_count (const VssRestoreJob *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->results->len;
}

const VssRestoreResult *
vss_restore_job_get_result (const VssRestoreJob *self, guint index)
{
  g_return_val_if_fail (self != NULL && index < self->results->len, NULL);
  return g_ptr_array_index (self->results, index);
}

guint
vss_restore_job_get_set_count (const VssRestoreJob *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->sets;
}

guint
vss_restore_job_get_entries (const VssRestoreJob *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->entries;
}
