/* cmd-restore.c — `vss restore`: a restore job (vss-restore-job.h) from
 * the command line, its progress and its outcome.  What may be written
 * is the library's decision: a component whose writer refused is never
 * written, whatever this file does. */
#include <vss/vss-restore-job.h>

#include "vss-options.h"
#include "vss-restic-restore.h"
#include "vss-restic.h"
#include "vss-restore-files.h"
#include "vss-backup-cmd.h"

#include <string.h>

typedef struct {
  char *from;
  char **components;
  char *to;
  char **maps;                /* OLD=NEW */
  char **includes;            /* --include: a file-level restore of these paths */
  char *host;                 /* --host: this host's part of a cluster set */
} RestoreOptions;

static void
restore_options_clear (RestoreOptions *opts)
{
  g_free (opts->from);
  g_free (opts->to);
  g_free (opts->host);
  g_strfreev (opts->components);
  g_strfreev (opts->maps);
  g_strfreev (opts->includes);
}

/* ---- what the job tells ---- */

static void
on_set_started (const char *set_dir, VssBackupType type, guint index, guint count, gpointer data)
{
  if (count > 1)
    vss_cli_print (data, "restoring %s (%s, %u of %u)\n", set_dir, vss_backup_type_to_string (type),
                   index + 1, count);
}

static void
on_phase (const char *phase, double duration_ms, gboolean ok, gpointer data)
{
  vss_cli_emit_phase (data, phase, duration_ms, ok);
}

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer data)
{
  vss_cli_progress (data, "restore", done, total, path);
}

static void
on_component (const VssRestoreResult *result, gpointer data)
{
  VssCli *cli = data;
  vss_cli_progress_clear (cli);
  gboolean ok = result->outcome == VSS_RESTORE_OUTCOME_RESTORED;
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "component", json_object_new_string (result->component));
  json_object_object_add (obj, "ok", json_object_new_boolean (ok));
  json_object_object_add (obj, "outcome",
                          json_object_new_string (vss_restore_outcome_to_string (result->outcome)));
  json_object_object_add (obj, "entries", json_object_new_int ((int) result->entries));
  json_object_object_add (obj, "set", json_object_new_string (result->set_dir));
  if (result->message != NULL)
    json_object_object_add (obj, "message", json_object_new_string (result->message));
  vss_cli_emit (cli, "component", obj);
  if (ok)
    vss_cli_print (cli, "restored %s (%u entries)\n", result->component, result->entries);
  else if (result->outcome == VSS_RESTORE_OUTCOME_REFUSED)
    g_printerr ("vss: %s refused by its writer, nothing of it was written: %s\n",
                result->component, result->message);
  else
    g_printerr ("vss: %s not restored: %s\n", result->component, result->message);
}

static void
on_writer (const VssWriterStatus *status, gpointer data)
{
  vss_cli_show_writer (data, status, TRUE);
}

/* ---- the outcome ---- */

static int
exit_code (const VssRestoreJob *job, gboolean ran)
{
  guint restored = 0, total = vss_restore_job_get_result_count (job);
  for (guint i = 0; i < total; i++)
    restored += vss_restore_job_get_result (job, i)->outcome == VSS_RESTORE_OUTCOME_RESTORED;
  if (!ran || restored == 0)
    return VSS_EXIT_FAILED;
  return restored < total ? VSS_EXIT_PARTIAL : VSS_EXIT_OK;
}

/* The counts, and every component not restored with the reason. */
static void
emit_summary (VssCli *cli, const VssRestoreJob *job, int code)
{
  guint counts[3] = { 0, 0, 0 };
  json_object *refused = json_object_new_array (), *failed = json_object_new_array ();
  for (guint i = 0; i < vss_restore_job_get_result_count (job); i++) {
    const VssRestoreResult *r = vss_restore_job_get_result (job, i);
    counts[r->outcome]++;
    if (r->outcome == VSS_RESTORE_OUTCOME_RESTORED)
      continue;
    json_object *one = json_object_new_object ();
    json_object_object_add (one, "component", json_object_new_string (r->component));
    json_object_object_add (one, "message", json_object_new_string (r->message));
    json_object_array_add (r->outcome == VSS_RESTORE_OUTCOME_REFUSED ? refused : failed, one);
  }
  const char *status = code == VSS_EXIT_OK ? "success" : code == VSS_EXIT_PARTIAL ? "partial" : "failed";
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (status));
  json_object_object_add (obj, "exit_code", json_object_new_int (code));
  json_object_object_add (obj, "components_restored", json_object_new_int ((int) counts[0]));
  json_object_object_add (obj, "components_refused", json_object_new_int ((int) counts[1]));
  json_object_object_add (obj, "components_failed", json_object_new_int ((int) (counts[1] + counts[2])));
  json_object_object_add (obj, "refused", refused);
  json_object_object_add (obj, "failed", failed);
  json_object_object_add (obj, "entries", json_object_new_int ((int) vss_restore_job_get_entries (job)));
  json_object_object_add (obj, "sets", json_object_new_int ((int) vss_restore_job_get_set_count (job)));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "restore %s: %u component(s) restored, %u refused by their writer, %u failed\n",
                 code == VSS_EXIT_OK ? "succeeded" : code == VSS_EXIT_PARTIAL ? "partly succeeded" : "failed",
                 counts[0], counts[1], counts[2]);
  for (guint i = 0; i < vss_restore_job_get_result_count (job); i++) {
    const VssRestoreResult *r = vss_restore_job_get_result (job, i);
    if (r->outcome != VSS_RESTORE_OUTCOME_RESTORED)
      vss_cli_print (cli, "  %s %s: %s\n", vss_restore_outcome_to_string (r->outcome),
                     r->component, r->message);
  }
}

static gboolean
configure (VssRestoreJob *job, RestoreOptions *opts, GError **error)
{
  for (guint i = 0; opts->components != NULL && opts->components[i] != NULL; i++)
    vss_restore_job_select (job, opts->components[i]);
  if (opts->to != NULL && !vss_restore_job_set_root (job, opts->to, error))
    return FALSE;
  for (guint i = 0; opts->maps != NULL && opts->maps[i] != NULL; i++) {
    g_auto(GStrv) pair = g_strsplit (opts->maps[i], "=", 2);
    if (!vss_restore_job_add_mapping (job, pair[0], pair[1], error))
      return FALSE;
  }
  return TRUE;
}

static int
run (VssCli *cli, RestoreOptions *opts, const char *set_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssRestoreJob) job = vss_restore_job_new (set_dir, &error);
  if (job == NULL || !configure (job, opts, &error))
    return vss_cli_fail (cli, error);
  const VssRestoreJobObserver observer = {
    .set_started = on_set_started, .phase_done = on_phase, .progress = on_progress,
    .component_done = on_component, .writer_status = on_writer,
  };
  vss_restore_job_set_observer (job, &observer, cli);
  gboolean ran = vss_restore_job_run (job, &error);
  vss_cli_progress_clear (cli);
  gboolean none = vss_restore_job_get_result_count (job) == 0;
  if (!ran && none && g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND))
    return vss_cli_usage (cli, "restore", "%s", error->message);
  if (!ran && none)
    return vss_cli_fail (cli, error);   /* busy (4) or failed (1); nothing was tried */
  if (!ran)
    vss_cli_fail (cli, error);
  int code = exit_code (job, ran);
  emit_summary (cli, job, code);
  return code;
}

/* restic restores into staging, the tree becomes a set, the set is
 * restored as any other (vss-restic-restore.h). */
static int
run_from_restic (VssCli *cli, RestoreOptions *opts)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = NULL;
  g_autofree char *set_dir = vss_restic_stage_set (opts->from, &staging, &error);
  if (set_dir == NULL)
    return g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND)
               ? vss_cli_usage (cli, "restore", "%s", error->message) : vss_cli_fail (cli, error);
  int code = run (cli, opts, set_dir);
  vss_restic_staging_remove (staging);
  return code;
}

/* OLD=NEW with two absolute paths. */
static gboolean
maps_ok (char **maps)
{
  for (guint i = 0; maps != NULL && maps[i] != NULL; i++) {
    const char *eq = strchr (maps[i], '=');
    if (eq == NULL || eq == maps[i] || eq[1] != '/' || maps[i][0] != '/')
      return FALSE;
  }
  return TRUE;
}

int
vss_cmd_restore (VssCli *cli, int argc, char **argv)
{
  RestoreOptions opts = { 0 };
  const GOptionEntry entries[] = {
    { "from", 'f', 0, G_OPTION_ARG_FILENAME, &opts.from, "The backup set to restore (its base sets next to it), or restic:REPO[:SNAPSHOT] (default: its newest vss snapshot)", "DIR" },
    { "component", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &opts.components, "Only this writer or component (repeatable)", "WRITER[:LOGICAL/PATH]" },
    { "to", 't', 0, G_OPTION_ARG_FILENAME, &opts.to, "Restore under PATH instead of in place", "PATH" },
    { "map", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &opts.maps, "Put what was under OLD under NEW (repeatable)", "OLD=NEW" },
    { "include", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &opts.includes, "Only this file or tree, copied under --to without writer events (repeatable)", "PATH" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &opts.host, "--from is a cluster set: restore this host's part (run it on that host)", "NAME" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "restore", NULL,
                            "Restore a backup set: the writers prepare (pre-restore), the files of "
                            "every component whose\nwriter agreed go back (checked, written beside "
                            "and renamed into place), the writers\ncheck and reopen (post-restore). "
                            "A component whose writer refuses is not written.", entries, &argc, &argv);
  /* a stray word (a target meant for --to, say) must not turn into a
   * restore in place */
  if (done < 0 && argc > 1)
    done = vss_cli_usage (cli, "restore", "unexpected argument %s", argv[1]);
  if (done < 0 && opts.from == NULL)
    done = vss_cli_usage (cli, "restore", "--from DIR is required");
  if (done < 0 && opts.to != NULL && opts.maps != NULL)
    done = vss_cli_usage (cli, "restore", "give --to or --map, not both");
  if (done < 0 && !maps_ok (opts.maps))
    done = vss_cli_usage (cli, "restore", "--map takes OLD=NEW with two absolute paths");
  if (done < 0 && opts.to != NULL && !g_path_is_absolute (opts.to))
    done = vss_cli_usage (cli, "restore", "--to needs an absolute path");
  if (done < 0)
    done = vss_cli_cluster_host_set (cli, &opts.from, opts.host);   /* cmd-backup-cluster.c */
  if (done < 0 && opts.includes != NULL && (opts.to == NULL || opts.maps != NULL || opts.components != NULL))
    done = vss_cli_usage (cli, "restore", "--include restores files under --to DIR, without the "
                          "writers: not in place, not with --map or --component");
  if (done < 0 && opts.includes != NULL)
    done = vss_restore_files (cli, opts.from, opts.includes, opts.to);
  else if (done < 0 && vss_restic_is_repo (opts.from))
    done = run_from_restic (cli, &opts);
  else if (done < 0)
    done = run (cli, &opts, opts.from);
  restore_options_clear (&opts);
  return done;
}
