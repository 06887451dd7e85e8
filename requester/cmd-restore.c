/* cmd-restore.c — `vss restore`: the restore lifecycle around putting a
 * backup set (or a chain of them) back. */
#include <vss/vss-backup-set.h>

#include "vss-options.h"
#include "vss-select.h"

#include <string.h>

typedef struct {
  char *from;
  char **components;
  char *to;
  char **maps;                /* OLD=NEW */
  VssBackupSet *set;
  GPtrArray *chain;           /* VssBackupSet, oldest first, not including set */
  /* the restore session running now: one set of the chain */
  VssBackupSet *session_set;
  GPtrArray *session_chain;   /* the sets before it */
  gboolean more_follow;       /* later sets of the chain are restored after it */
  VssBackupComponents *bc;
  GPtrArray *mappings;        /* char*: OLD, NEW, …, NULL */
  guint restored, failed, entries;
} RestoreJob;

static void
restore_job_clear (RestoreJob *job)
{
  g_clear_pointer (&job->bc, vss_backup_components_free);
  g_clear_pointer (&job->chain, g_ptr_array_unref);
  g_clear_pointer (&job->set, vss_backup_set_free);
  g_clear_pointer (&job->mappings, g_ptr_array_unref);
  g_free (job->from);
  g_free (job->to);
  g_strfreev (job->components);
  g_strfreev (job->maps);
}

static gboolean
parse_maps (RestoreJob *job)
{
  job->mappings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; job->maps != NULL && job->maps[i] != NULL; i++) {
    const char *eq = strchr (job->maps[i], '=');
    if (eq == NULL || eq == job->maps[i] || eq[1] != '/' || job->maps[i][0] != '/')
      return FALSE;
    g_ptr_array_add (job->mappings, g_strndup (job->maps[i], eq - job->maps[i]));
    g_ptr_array_add (job->mappings, g_strdup (eq + 1));
  }
  return TRUE;
}

typedef struct {
  const VssComponent *component;
  const char *writer_id;
  const VssWriterMetadata *metadata;  /* NULL when the writer is not here */
} SavedComponent;

/* The saved component behind a backup-set key, and its running writer. */
static gboolean
find_saved (RestoreJob *job, const char *key, SavedComponent *out)
{
  guint count = 0;
  vss_backup_components_get_component_count (job->bc, &count, NULL);
  for (guint i = 0; i < count; i++) {
    const char *writer_id = NULL, *writer_name = NULL;
    const VssComponent *c = vss_backup_components_get_component (job->bc, i, &writer_id, &writer_name, NULL);
    if (c == NULL)
      continue;
    g_autofree char *k = vss_cli_component_key (writer_name, vss_component_get_logical_path (c),
                                                vss_component_get_name (c));
    if (!g_str_equal (k, key))
      continue;
    out->component = c;
    out->writer_id = writer_id;
    out->metadata = NULL;
    guint n = 0;
    vss_backup_components_get_writer_metadata_count (job->bc, &n, NULL);
    for (guint w = 0; w < n; w++) {
      const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (job->bc, w, NULL);
      if (g_str_equal (vss_writer_metadata_get_writer_id (md), writer_id))
        out->metadata = md;
    }
    return TRUE;
  }
  return FALSE;
}

static gboolean
wanted (RestoreJob *job, const char *key)
{
  if (job->components == NULL || job->components[0] == NULL)
    return TRUE;
  for (guint i = 0; job->components[i] != NULL; i++) {
    const char *spec = job->components[i];
    if (g_str_equal (spec, key) || g_str_has_prefix (key, spec))
      return TRUE;
    g_autofree char *as_key = g_strdelimit (g_strdup (spec), ":", '/');
    if (g_str_equal (as_key, key) || (strchr (spec, ':') == NULL && g_str_has_prefix (key, as_key) &&
                                      key[strlen (as_key)] == '/'))
      return TRUE;
  }
  return FALSE;
}

/* Where @path goes: under --to, or moved by the first --map that covers
 * it; NULL when it goes back in place. */
static char *
target_of (RestoreJob *job, const char *path)
{
  if (job->to != NULL)
    return g_build_filename (job->to, path, NULL);
  for (guint i = 0; i + 1 < job->mappings->len; i += 2) {
    const char *old = g_ptr_array_index (job->mappings, i);
    gsize n = strlen (old);
    if (strncmp (path, old, n) == 0 && (path[n] == '\0' || path[n] == '/'))
      return g_strconcat (g_ptr_array_index (job->mappings, i + 1), path + n, NULL);
  }
  return NULL;
}

/* Tells the writer where each of its file sets is restored: a new target
 * for --to, an alternative location for --map (VSS AddNewTarget /
 * AddAlternativeLocationMapping), so its pre/post-restore know. */
static gboolean
tell_targets (RestoreJob *job, const SavedComponent *saved, GError **error)
{
  const VssComponent *c = saved->component;
  const VssWmComponent *wm = vss_writer_metadata_find_component (
      saved->metadata, vss_component_get_logical_path (c), vss_component_get_name (c));
  if (wm == NULL)
    return TRUE;
  typedef guint (*CountFunc) (const VssWmComponent *);
  typedef const VssWmFile *(*GetFunc) (const VssWmComponent *, guint);
  const struct { CountFunc count; GetFunc get; } lists[] = {
    { vss_wm_component_get_file_count, vss_wm_component_get_file },
    { vss_wm_component_get_database_file_count, vss_wm_component_get_database_file },
    { vss_wm_component_get_log_file_count, vss_wm_component_get_log_file },
  };
  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
    for (guint i = 0; i < lists[l].count (wm); i++) {
      const VssWmFile *f = lists[l].get (wm, i);
      g_autofree char *target = target_of (job, vss_wm_file_get_path (f));
      if (target == NULL)
        continue;
      gboolean (*add) (VssBackupComponents *, const char *, VssComponentType, const char *,
                       const char *, const char *, const char *, gboolean, const char *, GError **) =
          job->to != NULL ? vss_backup_components_add_new_target
                          : vss_backup_components_add_alternative_location_mapping;
      if (!add (job->bc, saved->writer_id, vss_component_get_type (c),
                vss_component_get_logical_path (c), vss_component_get_name (c),
                vss_wm_file_get_path (f), vss_wm_file_get_filespec (f),
                vss_wm_file_get_recursive (f), target, error))
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
select_for_restore (RestoreJob *job, const char *key, GError **error)
{
  SavedComponent saved;
  if (!find_saved (job, key, &saved))
    return TRUE;   /* not a writer's component ("path:…") */
  const VssComponent *c = saved.component;
  if (saved.metadata == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "component %s: its writer is not installed or did not answer; install it (see "
                 "'vss writers') so it can take part in the restore", key);
    return FALSE;
  }
  return vss_backup_components_set_selected_for_restore (job->bc, saved.writer_id,
                                                        vss_component_get_type (c),
                                                        vss_component_get_logical_path (c),
                                                        vss_component_get_name (c), TRUE, error) &&
         vss_backup_components_set_additional_restores (job->bc, saved.writer_id,
                                                        vss_component_get_type (c),
                                                        vss_component_get_logical_path (c),
                                                        vss_component_get_name (c),
                                                        job->more_follow, error) &&
         tell_targets (job, &saved, error);
}

static VssRestoreExisting
existing_policy (RestoreJob *job, const char *key)
{
  SavedComponent saved;
  if (find_saved (job, key, &saved) && saved.metadata != NULL &&
      vss_writer_metadata_get_restore_method (saved.metadata, NULL, NULL, NULL, NULL) ==
          VSS_RME_RESTORE_IF_NOT_THERE)
    return VSS_RESTORE_IF_NOT_THERE;
  return VSS_RESTORE_REPLACE;
}

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  vss_cli_progress (user_data, "restore", done, total, path);
}

static void
mark_restored (RestoreJob *job, const char *key, gboolean ok)
{
  SavedComponent saved;
  if (!find_saved (job, key, &saved))
    return;
  const VssComponent *c = saved.component;
  vss_backup_components_set_file_restore_status (job->bc, saved.writer_id, vss_component_get_type (c),
                                                 vss_component_get_logical_path (c),
                                                 vss_component_get_name (c),
                                                 ok ? VSS_RS_ALL : VSS_RS_FAILED, NULL);
}

/* The mappings for @key: --map's; or, for a writer whose restore method
 * is "restore to alternate location", the locations its metadata names. */
static GPtrArray *
mappings_for (RestoreJob *job, const char *key)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < job->mappings->len; i++)
    g_ptr_array_add (pairs, g_strdup (g_ptr_array_index (job->mappings, i)));
  SavedComponent saved;
  if (pairs->len == 0 && job->to == NULL && find_saved (job, key, &saved) && saved.metadata != NULL &&
      vss_writer_metadata_get_restore_method (saved.metadata, NULL, NULL, NULL, NULL) ==
          VSS_RME_RESTORE_TO_ALTERNATE_LOCATION) {
    for (guint i = 0; i < vss_writer_metadata_get_alternate_location_mapping_count (saved.metadata); i++) {
      const VssWmFile *m = vss_writer_metadata_get_alternate_location_mapping (saved.metadata, i);
      g_ptr_array_add (pairs, g_strdup (vss_wm_file_get_path (m)));
      g_ptr_array_add (pairs, g_strdup (vss_wm_file_get_alternate_location (m)));
    }
  }
  g_ptr_array_add (pairs, NULL);
  return pairs;
}

static void
restore_one (VssCli *cli, RestoreJob *job, const char *key)
{
  g_autoptr(GError) error = NULL;
  guint n = 0;
  g_autoptr(GPtrArray) mappings = mappings_for (job, key);
  gboolean ok = vss_backup_set_restore_component (job->session_set, job->session_chain, key, job->to,
                                                  (const char *const *) mappings->pdata,
                                                  existing_policy (job, key), on_progress, cli, &n,
                                                  &error);
  vss_cli_progress_clear (cli);
  mark_restored (job, key, ok);
  job->entries += n;
  ok ? job->restored++ : job->failed++;
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "component", json_object_new_string (key));
  json_object_object_add (obj, "ok", json_object_new_boolean (ok));
  json_object_object_add (obj, "entries", json_object_new_int ((int) n));
  if (error != NULL)
    json_object_object_add (obj, "message", json_object_new_string (error->message));
  vss_cli_emit (cli, "component", obj);
  if (ok)
    vss_cli_print (cli, "restored %s (%u entries)\n", key, n);
  else
    g_printerr ("vss: %s not restored: %s\n", key, error->message);
}

/* An earlier set of a log chain brings back only what the set asked
 * for holds: a full set may hold components the log set has not. */
static gboolean
in_final_set (RestoreJob *job, const char *key)
{
  g_autoptr(GPtrArray) keys = vss_backup_set_list_components (job->set);
  for (guint i = 0; i < keys->len; i++)
    if (g_str_equal (g_ptr_array_index (keys, i), key))
      return TRUE;
  return FALSE;
}

/* One restore session of job->session_set: the writers prepare, the
 * files go back, the writers check and reopen.  VSS_EXIT_*. */
static int
restore_session (VssCli *cli, RestoreJob *job, GError **error)
{
  g_clear_pointer (&job->bc, vss_backup_components_free);
  job->bc = vss_cli_gather (cli, VSS_BT_UNDEFINED, vss_backup_set_get_bcd (job->session_set), 0,
                            error);
  if (job->bc == NULL)
    return vss_cli_fail (cli, *error);
  g_autoptr(GPtrArray) keys = vss_backup_set_list_components (job->session_set);
  g_autoptr(GPtrArray) chosen = g_ptr_array_new ();
  job->restored = job->failed = 0;
  for (guint i = 0; i < keys->len; i++) {
    const char *key = g_ptr_array_index (keys, i);
    if (!wanted (job, key) || (job->more_follow && !in_final_set (job, key)))
      continue;
    g_autoptr(GError) not_selected = NULL;
    if (select_for_restore (job, key, &not_selected))
      g_ptr_array_add (chosen, (gpointer) key);
    else {
      g_printerr ("vss: %s\n", not_selected->message);
      job->failed++;
    }
  }
  if (chosen->len == 0 && job->failed == 0)
    return vss_cli_usage (cli, "restore", "no component of %s matches --component", job->from);
  VssAsync *async = NULL;
  if (!vss_backup_components_pre_restore (job->bc, &async, error) ||
      !vss_cli_wait (cli, async, "pre-restore", error))
    return vss_cli_fail (cli, *error);
  for (guint i = 0; i < chosen->len; i++)
    restore_one (cli, job, g_ptr_array_index (chosen, i));
  if (!vss_backup_components_post_restore (job->bc, &async, error) ||
      !vss_cli_wait (cli, async, "post-restore", error))
    return vss_cli_fail (cli, *error);
  guint failed_writers = vss_cli_report_writers (cli, job->bc, TRUE, NULL);
  return job->restored == 0 ? VSS_EXIT_FAILED
         : (job->failed > 0 || failed_writers > 0) ? VSS_EXIT_PARTIAL : VSS_EXIT_OK;
}

static void
emit_summary (VssCli *cli, RestoreJob *job, int code, guint sets)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (code == 0 ? "success" : code == 3 ? "partial" : "failed"));
  json_object_object_add (obj, "exit_code", json_object_new_int (code));
  json_object_object_add (obj, "components_restored", json_object_new_int ((int) job->restored));
  json_object_object_add (obj, "components_failed", json_object_new_int ((int) job->failed));
  json_object_object_add (obj, "entries", json_object_new_int ((int) job->entries));
  json_object_object_add (obj, "sets", json_object_new_int ((int) sets));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "restore %s: %u component(s) restored, %u failed\n",
                 code == 0 ? "succeeded" : code == 3 ? "partly succeeded" : "failed", job->restored,
                 job->failed);
}

/* A log set holds only the log written since the set before it, so it
 * is restored with its chain: each set, oldest first, in its own
 * session, so that the writer applies one (post_restore) before the next
 * is put in place; all sessions but the last tell the writers that more
 * follow (additional restores).  Any other set is one session: its base
 * sets only lend it the data of unchanged files. */
static int
run (VssCli *cli, RestoreJob *job, GError **error)
{
  job->set = vss_backup_set_open (job->from, error);
  if (job->set == NULL || !vss_backup_set_find_chain (job->set, &job->chain, error))
    return vss_cli_fail (cli, *error);
  gboolean layered = vss_backup_set_get_backup_type (job->set) == VSS_BT_LOG;
  guint first = layered ? 0 : job->chain->len;
  g_autoptr(GPtrArray) before = g_ptr_array_new ();   /* borrowed from job->chain */
  int code = VSS_EXIT_OK;
  for (guint i = 0; i < first; i++)
    g_ptr_array_add (before, g_ptr_array_index (job->chain, i));
  for (guint i = first; i <= job->chain->len; i++) {
    job->session_set = i < job->chain->len ? g_ptr_array_index (job->chain, i) : job->set;
    job->session_chain = before;
    job->more_follow = i < job->chain->len;
    if (layered)
      vss_cli_print (cli, "restoring %s (%s, %u of %u)\n", vss_backup_set_get_dir (job->session_set),
                     vss_backup_type_to_string (vss_backup_set_get_backup_type (job->session_set)),
                     i + 1, job->chain->len + 1);
    code = restore_session (cli, job, error);
    if (code != VSS_EXIT_OK && job->more_follow) {
      g_printerr ("vss: stopped at %s: the later sets of the chain were not applied, so the "
                  "store is not at the state of %s; fix the problem above and restore %s "
                  "again\n", vss_backup_set_get_dir (job->session_set), job->from, job->from);
      code = VSS_EXIT_FAILED;
      break;
    }
    if (i < job->chain->len)
      g_ptr_array_add (before, job->session_set);
  }
  emit_summary (cli, job, code, layered ? job->chain->len + 1 : 1);
  return code;
}

int
vss_cmd_restore (VssCli *cli, int argc, char **argv)
{
  RestoreJob job = { 0 };
  const GOptionEntry entries[] = {
    { "from", 'f', 0, G_OPTION_ARG_FILENAME, &job.from, "The backup set to restore (its base sets next to it)", "DIR" },
    { "component", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &job.components, "Only this writer or component (repeatable)", "WRITER[:LOGICAL/PATH]" },
    { "to", 't', 0, G_OPTION_ARG_FILENAME, &job.to, "Restore under PATH instead of in place", "PATH" },
    { "map", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &job.maps, "Put what was under OLD under NEW (repeatable)", "OLD=NEW" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "restore", NULL,
                            "Restore a backup set: the writers prepare (pre-restore), the files go back "
                            "(checked, written\nbeside and renamed into place), the writers check and "
                            "reopen (post-restore).", entries, &argc, &argv);
  /* a stray word (a target meant for --to, say) must not turn into a
   * restore in place */
  if (done < 0 && argc > 1)
    done = vss_cli_usage (cli, "restore", "unexpected argument %s", argv[1]);
  if (done < 0 && job.from == NULL)
    done = vss_cli_usage (cli, "restore", "--from DIR is required");
  if (done < 0 && job.to != NULL && job.maps != NULL)
    done = vss_cli_usage (cli, "restore", "give --to or --map, not both");
  if (done < 0 && !parse_maps (&job))
    done = vss_cli_usage (cli, "restore", "--map takes OLD=NEW with two absolute paths");
  if (done < 0 && job.to != NULL && !g_path_is_absolute (job.to))
    done = vss_cli_usage (cli, "restore", "--to needs an absolute path");
  if (done < 0) {
    g_autoptr(GError) error = NULL;
    done = run (cli, &job, &error);
  }
  restore_job_clear (&job);
  return done;
}
