/* vss-restore-session.c — one restore session of one set: gather the
 * writers, select and target the chosen components, pre_restore, put
 * back the files of the components whose writers said yes, post_restore.
 *
 * The writers' answers decide what is written: after pre_restore, a
 * component whose writer is no longer stable (it failed the event) or
 * that its writer marked with a pre-restore failure message is refused
 * and none of its files is touched.  After post_restore, a component
 * whose writer rejected the restored files is failed. */
#include "vss-restore-job-private.h"

#include "backupset/vss-backup-set-private.h"

typedef struct {
  const char *key;                   /* borrowed from the set */
  const VssComponent *component;     /* NULL: a directory no writer owns */
  const char *writer_id;
  const VssWriterMetadata *metadata;
  VssRestoreOutcome outcome;
  char *message;
  guint entries;
  gboolean decided;                  /* outcome final before the files */
} Choice;

typedef struct {
  VssRestoreJob *job;
  VssBackupSet *set;
  GPtrArray *before;
  gboolean more_follow;
  VssBackupComponents *bc;
  GPtrArray *choices;                /* Choice */
} Session;

static void
choice_free (Choice *choice)
{
  g_free (choice->message);
  g_free (choice);
}

static void
decide (Choice *choice, VssRestoreOutcome outcome, const char *message)
{
  choice->outcome = outcome;
  choice->decided = TRUE;
  g_free (choice->message);
  choice->message = g_strdup (message);
}

/* Waits for @async (consumed), telling the observer how long it took. */
static gboolean
wait_phase (Session *s, VssAsync *async, const char *phase, GError **error)
{
  g_autoptr(VssAsync) owned = async;
  gint64 start = g_get_monotonic_time ();
  VssAsyncStatus status = vss_async_wait (owned, -1, error);
  if (status == VSS_ASYNC_CANCELLED)
    g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "%s was cancelled", phase);
  const VssRestoreJobObserver *o = &s->job->observer;
  if (o->phase_done != NULL)
    o->phase_done (phase, (g_get_monotonic_time () - start) / 1000.0,
                   status == VSS_ASYNC_FINISHED, s->job->observer_data);
  return status == VSS_ASYNC_FINISHED;
}

static gboolean
gather (Session *s, GError **error)
{
  VssAsync *async = NULL;
  s->bc = vss_backup_components_new ();
  return (s->job->writer_path == NULL ||
          vss_backup_components_set_writer_path (s->bc, s->job->writer_path, error)) &&
         vss_backup_components_initialize_for_restore (s->bc, vss_backup_set_get_bcd (s->set),
                                                       error) &&
         vss_backup_components_gather_writer_metadata (s->bc, &async, error) &&
         wait_phase (s, async, "gather", error);
}

/* The saved component behind @choice->key, and its running writer.
 * Looked up again after every event: a writer's reply replaces its
 * components in the document. */
static void
find_saved (Session *s, Choice *choice)
{
  choice->component = NULL;
  choice->metadata = NULL;
  guint count = 0;
  vss_backup_components_get_component_count (s->bc, &count, NULL);
  for (guint i = 0; i < count && choice->component == NULL; i++) {
    const char *writer_id = NULL, *writer_name = NULL;
    const VssComponent *c = vss_backup_components_get_component (s->bc, i, &writer_id,
                                                                 &writer_name, NULL);
    g_autofree char *key = c != NULL
        ? vss_backup_set_component_key (writer_name, vss_component_get_logical_path (c),
                                        vss_component_get_name (c))
        : NULL;
    if (key == NULL || !g_str_equal (key, choice->key))
      continue;
    choice->component = c;
    choice->writer_id = writer_id;
  }
  guint n = 0;
  vss_backup_components_get_writer_metadata_count (s->bc, &n, NULL);
  for (guint w = 0; choice->component != NULL && w < n; w++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (s->bc, w, NULL);
    if (md != NULL && g_str_equal (vss_writer_metadata_get_writer_id (md), choice->writer_id))
      choice->metadata = md;
  }
}

typedef guint (*FileCount) (const VssWmComponent *);
typedef const VssWmFile *(*FileGet) (const VssWmComponent *, guint);

/* Tells the writer where each of its file sets goes: a new target under
 * the root, an alternative location for a mapping (VSS AddNewTarget /
 * AddAlternativeLocationMapping), so its pre/post-restore act there. */
static gboolean
tell_targets (Session *s, const Choice *choice, GError **error)
{
  const VssComponent *c = choice->component;
  const char *lp = vss_component_get_logical_path (c), *name = vss_component_get_name (c);
  const VssWmComponent *wm = vss_writer_metadata_find_component (choice->metadata, lp, name);
  if (wm == NULL)
    return TRUE;
  const struct { FileCount count; FileGet get; } lists[] = {
    { vss_wm_component_get_file_count, vss_wm_component_get_file },
    { vss_wm_component_get_database_file_count, vss_wm_component_get_database_file },
    { vss_wm_component_get_log_file_count, vss_wm_component_get_log_file },
  };
  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
    for (guint i = 0; i < lists[l].count (wm); i++) {
      const VssWmFile *f = lists[l].get (wm, i);
      g_autofree char *target = vss_restore_job_target_of (s->job, vss_wm_file_get_path (f));
      if (target == NULL)
        continue;
      gboolean ok = s->job->root != NULL
          ? vss_backup_components_add_new_target (
                s->bc, choice->writer_id, vss_component_get_type (c), lp, name,
                vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                vss_wm_file_get_recursive (f), target, error)
          : vss_backup_components_add_alternative_location_mapping (
                s->bc, choice->writer_id, vss_component_get_type (c), lp, name,
                vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                vss_wm_file_get_recursive (f), target, error);
      if (!ok)
        return FALSE;
    }
  }
  return TRUE;
}

static void
select_choice (Session *s, Choice *choice)
{
  find_saved (s, choice);
  if (choice->component == NULL) {
    if (!g_str_has_prefix (choice->key, "path:"))
      decide (choice, VSS_RESTORE_OUTCOME_FAILED, "the set's document does not name this "
              "component's writer: the set is damaged");
    return;
  }
  if (choice->metadata == NULL) {
    decide (choice, VSS_RESTORE_OUTCOME_FAILED, "its writer is not installed or did not answer; "
            "install it (see 'vss writers') so it can take part in the restore");
    return;
  }
  const VssComponent *c = choice->component;
  const char *lp = vss_component_get_logical_path (c), *name = vss_component_get_name (c);
  VssComponentType type = vss_component_get_type (c);
  g_autoptr(GError) error = NULL;
  if (!vss_backup_components_set_selected_for_restore (s->bc, choice->writer_id, type, lp, name,
                                                       TRUE, &error) ||
      !vss_backup_components_set_additional_restores (s->bc, choice->writer_id, type, lp, name,
                                                      s->more_follow, &error) ||
      !tell_targets (s, choice, &error))
    decide (choice, VSS_RESTORE_OUTCOME_FAILED, error->message);
}

/* An earlier set of a log chain brings back only what the set asked for
 * holds: a full set may hold components the log set has not. */
static gboolean
in_final_set (Session *s, const char *key)
{
  g_autoptr(GPtrArray) keys = vss_backup_set_list_components (s->job->set);
  for (guint i = 0; i < keys->len; i++)
    if (g_str_equal (g_ptr_array_index (keys, i), key))
      return TRUE;
  return FALSE;
}

static gboolean
choose (Session *s, GError **error)
{
  g_autoptr(GPtrArray) keys = vss_backup_set_list_components (s->set);
  for (guint i = 0; i < keys->len; i++) {
    const char *key = g_ptr_array_index (keys, i);
    if (!vss_restore_job_wants (s->job, key) || (s->more_follow && !in_final_set (s, key)))
      continue;
    Choice *choice = g_new0 (Choice, 1);
    choice->key = key;
    /* until its files are back, a component is not restored */
    choice->outcome = VSS_RESTORE_OUTCOME_FAILED;
    choice->message = g_strdup ("not restored: the restore stopped before its files were put "
                                "back (see the error)");
    g_ptr_array_add (s->choices, choice);
    select_choice (s, choice);
  }
  if (s->choices->len > 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "no component of %s matches what was asked for: see its components with "
               "'vss verify' or its manifest", vss_backup_set_get_dir (s->set));
  return FALSE;
}

/* Every writer's status now, by writer id; reported to the observer
 * when @report. */
static GHashTable *
writer_statuses (Session *s, gboolean report)
{
  GHashTable *by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) vss_writer_status_free);
  VssAsync *async = NULL;
  guint count = 0;
  g_autoptr(GError) error = NULL;
  if (!vss_backup_components_gather_writer_status (s->bc, &async, &error) ||
      !wait_phase (s, async, "status", &error) ||
      !vss_backup_components_get_writer_status_count (s->bc, &count, &error))
    return by_id;   /* no status: every writer's component is judged unknown below */
  for (guint i = 0; i < count; i++) {
    VssWriterStatus *status = vss_backup_components_get_writer_status (s->bc, i, NULL);
    if (status == NULL)
      continue;
    if (report && s->job->observer.writer_status != NULL)
      s->job->observer.writer_status (status, s->job->observer_data);
    g_hash_table_replace (by_id, status->writer_id, status);
  }
  return by_id;
}

/* After pre_restore: the writer's no, for the whole writer or for this
 * component, means nothing of it is written. */
static void
apply_pre_restore_answers (Session *s)
{
  g_autoptr(GHashTable) statuses = writer_statuses (s, FALSE);
  for (guint i = 0; i < s->choices->len; i++) {
    Choice *choice = g_ptr_array_index (s->choices, i);
    if (choice->decided || choice->component == NULL)
      continue;
    find_saved (s, choice);
    const VssWriterStatus *status = g_hash_table_lookup (statuses, choice->writer_id);
    const char *component_msg = vss_component_get_pre_restore_failure_msg (choice->component);
    if (status == NULL)
      decide (choice, VSS_RESTORE_OUTCOME_REFUSED, "its writer's state after pre-restore is "
              "unknown, so nothing was written");
    else if (status->failure != VSS_WF_NONE || status->state != VSS_WS_STABLE)
      decide (choice, VSS_RESTORE_OUTCOME_REFUSED,
              status->failure_message != NULL ? status->failure_message : "its writer refused");
    else if (component_msg != NULL)
      decide (choice, VSS_RESTORE_OUTCOME_REFUSED, component_msg);
  }
}

/* The mappings for @choice: the job's; or, for a writer whose restore
 * method is "restore to alternate location", the locations its metadata
 * names.  NULL-terminated. */
static GPtrArray *
mappings_for (Session *s, const Choice *choice)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < s->job->mappings->len; i++)
    g_ptr_array_add (pairs, g_strdup (g_ptr_array_index (s->job->mappings, i)));
  if (pairs->len == 0 && s->job->root == NULL && choice->metadata != NULL &&
      vss_writer_metadata_get_restore_method (choice->metadata, NULL, NULL, NULL, NULL) ==
          VSS_RME_RESTORE_TO_ALTERNATE_LOCATION) {
    for (guint i = 0; i < vss_writer_metadata_get_alternate_location_mapping_count (choice->metadata); i++) {
      const VssWmFile *m = vss_writer_metadata_get_alternate_location_mapping (choice->metadata, i);
      g_ptr_array_add (pairs, g_strdup (vss_wm_file_get_path (m)));
      g_ptr_array_add (pairs, g_strdup (vss_wm_file_get_alternate_location (m)));
    }
  }
  g_ptr_array_add (pairs, NULL);
  return pairs;
}

static void
put_back (Session *s, Choice *choice)
{
  VssRestoreExisting existing = VSS_RESTORE_REPLACE;
  if (choice->metadata != NULL &&
      vss_writer_metadata_get_restore_method (choice->metadata, NULL, NULL, NULL, NULL) ==
          VSS_RME_RESTORE_IF_NOT_THERE)
    existing = VSS_RESTORE_IF_NOT_THERE;
  g_autoptr(GPtrArray) mappings = mappings_for (s, choice);
  g_autoptr(GError) error = NULL;
  const VssRestoreJobObserver *o = &s->job->observer;
  gboolean ok = vss_backup_set_restore_files (s->set, s->before, choice->key, s->job->root,
                                              (const char *const *) mappings->pdata, existing,
                                              o->progress, s->job->observer_data,
                                              &choice->entries, &error);
  choice->outcome = ok ? VSS_RESTORE_OUTCOME_RESTORED : VSS_RESTORE_OUTCOME_FAILED;
  g_free (choice->message);
  choice->message = ok ? NULL : g_strdup (error->message);
  if (choice->component == NULL)
    return;
  const VssComponent *c = choice->component;
  vss_backup_components_set_file_restore_status (
      s->bc, choice->writer_id, vss_component_get_type (c), vss_component_get_logical_path (c),
      vss_component_get_name (c), ok ? VSS_RS_ALL : choice->entries > 0 ? VSS_RS_FAILED : VSS_RS_NONE,
      NULL);
}

/* After post_restore: a writer that rejected what was put back fails
 * every component of it that was restored. */
static void
apply_post_restore_answers (Session *s)
{
  g_autoptr(GHashTable) statuses = writer_statuses (s, TRUE);
  for (guint i = 0; i < s->choices->len; i++) {
    Choice *choice = g_ptr_array_index (s->choices, i);
    if (choice->decided || choice->component == NULL ||
        choice->outcome != VSS_RESTORE_OUTCOME_RESTORED)
      continue;
    find_saved (s, choice);
    const VssWriterStatus *status = g_hash_table_lookup (statuses, choice->writer_id);
    const char *component_msg = vss_component_get_post_restore_failure_msg (choice->component);
    if (status == NULL)
      decide (choice, VSS_RESTORE_OUTCOME_FAILED, "its writer's state after post-restore is "
              "unknown: check the restored data before using it");
    else if (status->failure != VSS_WF_NONE)
      decide (choice, VSS_RESTORE_OUTCOME_FAILED,
              status->failure_message != NULL ? status->failure_message
                                              : "its writer rejected the restored files");
    else if (component_msg != NULL)
      decide (choice, VSS_RESTORE_OUTCOME_FAILED, component_msg);
  }
}

static gboolean
run_events (Session *s, GError **error)
{
  VssAsync *async = NULL;
  if (!vss_backup_components_pre_restore (s->bc, &async, error) ||
      !wait_phase (s, async, "pre-restore", error))
    return FALSE;
  apply_pre_restore_answers (s);
  for (guint i = 0; i < s->choices->len; i++) {
    Choice *choice = g_ptr_array_index (s->choices, i);
    if (!choice->decided)
      put_back (s, choice);
  }
  if (!vss_backup_components_post_restore (s->bc, &async, error) ||
      !wait_phase (s, async, "post-restore", error)) {
    for (guint i = 0; i < s->choices->len; i++) {
      Choice *choice = g_ptr_array_index (s->choices, i);
      if (choice->outcome == VSS_RESTORE_OUTCOME_RESTORED && choice->component != NULL)
        decide (choice, VSS_RESTORE_OUTCOME_FAILED, "post-restore did not run: check the "
                "restored data before using it");
    }
    return FALSE;
  }
  apply_post_restore_answers (s);
  return TRUE;
}

gboolean
vss_restore_session_run (VssRestoreJob *job, VssBackupSet *set, GPtrArray *before,
                         gboolean more_follow, GError **error)
{
  Session s = { job, set, before, more_follow, NULL,
                g_ptr_array_new_with_free_func ((GDestroyNotify) choice_free) };
  g_ptr_array_set_size (job->results, 0);
  gboolean ok = gather (&s, error) && choose (&s, error) && run_events (&s, error);
  for (guint i = 0; i < s.choices->len; i++) {
    Choice *choice = g_ptr_array_index (s.choices, i);
    vss_restore_job_add_result (job, choice->key, choice->outcome, choice->message,
                                choice->entries, vss_backup_set_get_dir (set));
  }
  g_ptr_array_unref (s.choices);
  g_clear_pointer (&s.bc, vss_backup_components_free);
  return ok;
}
