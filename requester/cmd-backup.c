/* cmd-backup.c — `vss backup`: the options, the output, and the front ends around the
 * backup job (libvss/jobs/). */
#include "vss-backup-cmd.h"
#include "vss-options.h"
#include "vss-restic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
vss_backup_cmd_clear (VssBackupCmd *cmd)
{
  g_clear_pointer (&cmd->job, vss_backup_job_free);
  g_free (cmd->to);
  g_free (cmd->type_name);
  g_strfreev (cmd->components);
  g_strfreev (cmd->paths);
  g_free (cmd->provider);
  g_free (cmd->snapshot_command);
  g_free (cmd->exec);
  g_free (cmd->repo);
  g_free (cmd->set_id);
  g_free (cmd->restic_snapshot);
  g_free (cmd->base);
  g_free (cmd->job_name);
  g_strfreev (cmd->excludes);
  g_free (cmd->path_consistency);
  g_free (cmd->copy_priority);
}

int
vss_backup_cmd_check_options (VssCli *cli, VssBackupCmd *cmd)
{
  g_autoptr(GError) error = NULL;
  if (cmd->job_name != NULL && !vss_backup_cmd_load_file (cmd, cmd->job_name, &error))
    return vss_cli_usage (cli, "backup", "%s", error->message);
  if ((cmd->to != NULL) + (cmd->exec != NULL) + (cmd->repo != NULL) != 1)
    return vss_cli_usage (cli, "backup", "give exactly one of --to DIR (make a backup set), "
                          "--repo restic:REPO (store it with restic) or --exec CMD (hand the "
                          "snapshot to CMD)");
  if (cmd->repo != NULL && !vss_restic_is_repo (cmd->repo))
    return vss_cli_usage (cli, "backup", "--repo takes restic:REPO (a restic repository)");
  if (!vss_backup_type_from_string (cmd->type_name != NULL ? cmd->type_name : "full", &cmd->type) ||
      cmd->type == VSS_BT_OTHER || cmd->type == VSS_BT_UNDEFINED)
    return vss_cli_usage (cli, "backup", "--type must be full, copy, incremental, differential or log");
  gboolean needs_base = cmd->type == VSS_BT_INCREMENTAL || cmd->type == VSS_BT_DIFFERENTIAL ||
                        cmd->type == VSS_BT_LOG;
  if (needs_base && cmd->repo != NULL)
    return vss_cli_usage (cli, "backup", "--repo takes --type full or copy: every restic "
                          "snapshot is whole (restic stores only what changed)");
  if (needs_base && cmd->base == NULL && cmd->to != NULL)
    return vss_cli_usage (cli, "backup", "--type %s needs --base DIR, the set it builds on",
                          cmd->type_name);
  if (cmd->excludes != NULL && (cmd->paths == NULL || cmd->paths[0] == NULL))
    return vss_cli_usage (cli, "backup", "--exclude applies to --path trees: give --path DIR");
  if (cmd->path_consistency == NULL)
    cmd->path_consistency = g_strdup ("after-thaw");
  if (!g_str_equal (cmd->path_consistency, "freeze") &&
      !g_str_equal (cmd->path_consistency, "after-thaw") &&
      !g_str_equal (cmd->path_consistency, "crash"))
    return vss_cli_usage (cli, "backup", "--path-consistency must be freeze, after-thaw or crash");
  if (cmd->copy_priority != NULL) {
    if (!g_str_equal (cmd->copy_priority, "background") &&
        !g_str_equal (cmd->copy_priority, "normal") && !g_str_equal (cmd->copy_priority, "idle"))
      return vss_cli_usage (cli, "backup", "--copy-priority must be background, normal or idle");
    /* Read by the copies in libvss (docs/env.md). */
    g_setenv ("VSS_COPY_PRIORITY", cmd->copy_priority, TRUE);
  }
  if (!needs_base && cmd->base != NULL)
    return vss_cli_usage (cli, "backup", "--base only goes with --type incremental, differential or log");
  if (cmd->snapshot_command != NULL) {
    if (cmd->provider == NULL)
      cmd->provider = g_strdup ("fsfreeze");
    if (!g_str_equal (cmd->provider, "fsfreeze"))
      return vss_cli_usage (cli, "backup", "--snapshot-command goes with the fsfreeze provider, "
                            "not --provider %s", cmd->provider);
    /* Read by the provider at do_snapshot_set (docs/env.md). */
    g_setenv ("VSS_FSFREEZE_COMMAND", cmd->snapshot_command, TRUE);
  }
  /* Each --path once, canonical: the snapshot set and the set's keys use it. */
  for (guint i = 0; cmd->paths != NULL && cmd->paths[i] != NULL; i++) {
    char *canonical = realpath (cmd->paths[i], NULL);
    if (canonical == NULL)
      return vss_cli_usage (cli, "backup", "--path %s: %s", cmd->paths[i], g_strerror (errno));
    g_free (cmd->paths[i]);
    cmd->paths[i] = g_strdup (canonical);
    free (canonical);
  }
  return -1;
}

void
vss_backup_cmd_emit_snapshots (VssCli *cli, VssBackupCmd *cmd)
{
  for (guint i = 0; i < vss_backup_job_get_snapshot_count (cmd->job); i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_job_get_snapshot (cmd->job, i);
    if (prop == NULL)
      continue;
    vss_cli_print (cli, "snapshot %s of %s (%s)\n", prop->snapshot_id, prop->original_path, prop->provider);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "snapshot_id", json_object_new_string (prop->snapshot_id));
    json_object_object_add (obj, "original_path", json_object_new_string (prop->original_path));
    json_object_object_add (obj, "snapshot_path", json_object_new_string (prop->snapshot_path));
    json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
    vss_cli_emit (cli, "snapshot", obj);
  }
  VssSnapshotTimings t;
  if (vss_backup_components_get_snapshot_timings (vss_backup_job_get_backup_components (cmd->job), &t, NULL)) {
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "prepare_ms", json_object_new_double (t.prepare_usec / 1000.0));
    json_object_object_add (obj, "flush_ms", json_object_new_double (t.flush_usec / 1000.0));
    json_object_object_add (obj, "freeze_ms", json_object_new_double (t.freeze_usec / 1000.0));
    json_object_object_add (obj, "commit_ms", json_object_new_double (t.commit_usec / 1000.0));
    json_object_object_add (obj, "thaw_ms", json_object_new_double (t.thaw_usec / 1000.0));
    json_object_object_add (obj, "window_ms", json_object_new_double (t.window_usec / 1000.0));
    json_object_object_add (obj, "total_ms", json_object_new_double (t.total_usec / 1000.0));
    vss_cli_emit (cli, "timings", obj);
    vss_cli_print (cli, "writers frozen for %.1f ms (commit %.1f ms)\n", t.window_usec / 1000.0,
                   t.commit_usec / 1000.0);
  }
}

/* ---- the job's observer: what `vss backup` shows while it runs ---- */

static void
on_phase_done (const char *phase, double duration_ms, gboolean ok, gpointer user_data)
{
  VssBackupCmd *cmd = user_data;
  vss_cli_emit_phase (cmd->cli, phase, duration_ms, ok);
  if (ok && g_str_equal (phase, "snapshot")) {
    vss_backup_cmd_emit_snapshots (cmd->cli, cmd);
    if (cmd->snapshot_taken != NULL)
      cmd->snapshot_taken (cmd, cmd->snapshot_taken_data);
  }
}

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  VssBackupCmd *cmd = user_data;
  vss_cli_progress (cmd->cli, "copy", done, total, path);
}

static void
on_component_done (const VssBackupResult *result, gpointer user_data)
{
  VssBackupCmd *cmd = user_data;
  if (result->message == NULL)
    return;
  vss_cli_progress_clear (cmd->cli);
  g_printerr ("vss: component %s not backed up: %s\n", result->component, result->message);
}

static void
on_writer_status (const VssWriterStatus *status, gpointer user_data)
{
  VssBackupCmd *cmd = user_data;
  vss_cli_show_writer (cmd->cli, status, TRUE);
}

gboolean
vss_backup_cmd_make_job (VssCli *cli, VssBackupCmd *cmd, GError **error)
{
  static const VssBackupJobObserver observer = {
    .phase_done = on_phase_done,
    .progress = on_progress,
    .component_done = on_component_done,
    .writer_status = on_writer_status,
  };
  cmd->cli = cli;
  cmd->job = vss_backup_job_new (cmd->type, error);
  if (cmd->job == NULL)
    return FALSE;
  vss_backup_job_set_observer (cmd->job, &observer, cmd);
  for (guint i = 0; cmd->components != NULL && cmd->components[i] != NULL; i++)
    vss_backup_job_select (cmd->job, cmd->components[i]);
  for (guint i = 0; cmd->paths != NULL && cmd->paths[i] != NULL; i++)
    if (!vss_backup_job_add_path (cmd->job, cmd->paths[i], error))
      return FALSE;
  for (guint i = 0; cmd->excludes != NULL && cmd->excludes[i] != NULL; i++)
    vss_backup_job_add_exclude (cmd->job, cmd->excludes[i]);
  if (cmd->to != NULL)
    vss_backup_job_set_target (cmd->job, cmd->to);
  else   /* --exec, --repo: the images are shown at their paths from a staging directory */
    vss_backup_job_set_image_staging (cmd->job, NULL);
  if (cmd->base != NULL)
    vss_backup_job_set_base (cmd->job, cmd->base);
  if (cmd->provider != NULL)
    vss_backup_job_set_provider (cmd->job, cmd->provider);
  vss_backup_job_set_hold_limit (cmd->job, (guint) MAX (cmd->hold_limit_ms, 0));
  return vss_backup_job_set_path_consistency (cmd->job, cmd->path_consistency, error);
}

gboolean
vss_backup_cmd_plan (VssCli *cli, VssBackupCmd *cmd, GError **error)
{
  if (!vss_backup_cmd_make_job (cli, cmd, error) || !vss_backup_job_plan (cmd->job, error))
    return FALSE;
  if (vss_backup_job_get_root_count (cmd->job) == 0)
    vss_cli_print (cli, "note: nothing to snapshot (no --path, and the components have no files or "
                   "come as their writers' images)\n");
  return TRUE;
}

int
vss_backup_cmd_finish (VssCli *cli, VssBackupCmd *cmd, gboolean made, gint64 start, const GError *failure)
{
  /* the writers' statuses come to the observer (show_writer) */
  vss_backup_job_complete (cmd->job, NULL);
  guint failed_writers = vss_backup_job_get_failed_writer_count (cmd->job);
  guint components_ok = vss_backup_job_get_components_ok (cmd->job);
  guint components_failed = vss_backup_job_get_components_failed (cmd->job);
  if (cmd->to != NULL) {
    cmd->bytes = vss_backup_job_get_bytes (cmd->job);
    cmd->entries = vss_backup_job_get_entries (cmd->job);
  }
  guint paths = cmd->paths != NULL ? g_strv_length (cmd->paths) : 0;
  int code = !made || components_ok + paths == 0 ? VSS_EXIT_FAILED
             : (failed_writers > 0 || components_failed > 0) ? VSS_EXIT_PARTIAL : VSS_EXIT_OK;
  const char *status = code == VSS_EXIT_OK ? "success" : code == VSS_EXIT_PARTIAL ? "partial" : "failed";
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (status));
  json_object_object_add (obj, "exit_code", json_object_new_int (code));
  if (cmd->to != NULL)
    json_object_object_add (obj, "backup_set", json_object_new_string (cmd->to));
  if (cmd->repo != NULL)
    json_object_object_add (obj, "repository", json_object_new_string (cmd->repo));
  if (cmd->restic_snapshot != NULL)
    json_object_object_add (obj, "restic_snapshot", json_object_new_string (cmd->restic_snapshot));
  if (cmd->set_id != NULL && cmd->to == NULL)
    json_object_object_add (obj, "set_id", json_object_new_string (cmd->set_id));
  json_object_object_add (obj, "components_ok", json_object_new_int ((int) components_ok));
  json_object_object_add (obj, "components_failed", json_object_new_int ((int) components_failed));
  json_object_object_add (obj, "bytes", json_object_new_int64 ((gint64) cmd->bytes));
  json_object_object_add (obj, "files", json_object_new_int ((int) cmd->entries));
  json_object_object_add (obj, "duration_ms", json_object_new_double ((g_get_monotonic_time () - start) / 1000.0));
  if (failure != NULL)
    json_object_object_add (obj, "message", json_object_new_string (failure->message));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "backup %s: %u component(s) and %u path(s) backed up, %u failed%s%s\n",
                 status, components_ok, made ? paths : 0, components_failed,
                 cmd->to ? ", set " : "", cmd->to ? cmd->to : "");
  return code;
}

/* --to: the job copies the snapshot into the set */
static gboolean
copy_into_set (VssCli *cli, VssBackupCmd *cmd, GError **error)
{
  gboolean made = vss_backup_job_copy (cmd->job, error);
  vss_cli_progress_clear (cli);
  return made;
}

int
vss_cmd_backup (VssCli *cli, int argc, char **argv)
{
  VssBackupCmd cmd = { 0 };
  VssClusterOptions cluster = { 0 };
  const GOptionEntry entries[] = {
    { "to", 't', 0, G_OPTION_ARG_FILENAME, &cmd.to, "Write a backup set to DIR (must not exist)", "DIR" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &cmd.type_name, "full (default), copy, incremental, differential or log", "TYPE" },
    { "component", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &cmd.components, "Only this writer, or one of its components (repeatable)", "WRITER[:LOGICAL/PATH]" },
    { "path", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &cmd.paths, "Also back up this directory (repeatable)", "PATH" },
    { "provider", 0, 0, G_OPTION_ARG_STRING, &cmd.provider, "Snapshot provider: btrfs, reflink, copy or fsfreeze (default: the cheapest that works; fsfreeze only when named)", "NAME" },
    { "repo", 'r', 0, G_OPTION_ARG_STRING, &cmd.repo, "Store the snapshot with restic in REPO (restic's RESTIC_PASSWORD or RESTIC_PASSWORD_FILE), components at their original paths", "restic:REPO" },
    { "exec", 'e', 0, G_OPTION_ARG_STRING, &cmd.exec, "Run CMD with the snapshot exposed instead of making a set", "CMD" },
    { "base", 'b', 0, G_OPTION_ARG_FILENAME, &cmd.base, "The set an incremental/differential/log backup builds on", "DIR" },
    { "hold-limit", 0, 0, G_OPTION_ARG_INT, &cmd.hold_limit_ms, "Longest snapshot commit in ms (default 10000)", "MS" },
    { "job", 'j', 0, G_OPTION_ARG_STRING, &cmd.job_name, "Take the unset options from the job file jobs/NAME.conf of the configuration directory", "NAME" },
    { "path-consistency", 0, 0, G_OPTION_ARG_STRING, &cmd.path_consistency, "How --path trees no writer owns are read: after-thaw (default: their own snapshot once the writers thawed), freeze (inside the writers' freeze) or crash (no snapshot: read live, file by file)", "MODE" },
    { "copy-priority", 0, 0, G_OPTION_ARG_STRING, &cmd.copy_priority, "CPU and I/O priority of the copies that hold no writer (after-thaw snapshots, the copy into the set): background (default: nice 10, best-effort I/O 7), normal or idle (nice 19, idle I/O, and resting while the CPU is contended)", "MODE" },
    { "exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &cmd.excludes, "Leave out what matches PATTERN under a --path tree (repeatable; a glob on the path below the tree, or on a file name)", "PATTERN" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &cmd.dry_run, "Gather, select and check providers and space; show what would be frozen and copied; freeze nothing", NULL },
    { "cluster", 0, 0, G_OPTION_ARG_STRING, &cluster.urls, "Make a cluster snapshot set through the agents registered in etcd at URL[,URL…] (docs/cluster.md)", "URL" },
    { "hosts", 0, 0, G_OPTION_ARG_STRING, &cluster.hosts, "With --cluster: only these hosts (default: every registered agent)", "H1,H2,…" },
    { "cluster-config", 0, 0, G_OPTION_ARG_FILENAME, &cluster.config, "With --cluster: prefix, TLS and credentials (default: cluster.conf in the configuration directory)", "FILE" },
    { "snapshot-command", 0, 0, G_OPTION_ARG_STRING, &cmd.snapshot_command, "Block-level snapshot tool for the fsfreeze provider: run as 'CMD create' while the filesystem is frozen (prints the read-only mount of the snapshot) and 'CMD delete' (implies --provider fsfreeze)", "CMD" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "backup", NULL,
                            "Snapshot the writers' data at one consistent instant and copy it into a "
                            "backup set,\nor hand the snapshot to another program with --exec.",
                            entries, &argc, &argv);
  if (done < 0)
    done = argc > 1 ? vss_cli_usage (cli, "backup", "unexpected argument %s", argv[1]) : -1;
  if (done < 0 && cluster.urls != NULL)
    done = vss_cmd_backup_cluster (cli, &cluster, cmd.to);   /* cmd-backup-cluster.c */
  if (done < 0)
    done = vss_backup_cmd_check_options (cli, &cmd);
  vss_cluster_options_clear (&cluster);
  if (done >= 0) {
    vss_backup_cmd_clear (&cmd);
    return done;
  }
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  int code;
  if (!vss_backup_cmd_plan (cli, &cmd, &error)) {
    /* an unknown --component is the command line's fault */
    code = g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_ARG)
               ? vss_cli_usage (cli, "backup", "%s", error->message)
               : vss_cli_fail (cli, error);
  } else if (cmd.dry_run) {
    code = vss_backup_cmd_show_plan (cli, &cmd);
  } else if (!vss_backup_job_snapshot (cmd.job, &error)) {
    code = vss_cli_fail (cli, error);
  } else {
    gboolean made = cmd.exec != NULL ? vss_backup_cmd_exec (cli, &cmd, &error)
                    : cmd.repo != NULL ? vss_backup_cmd_restic (cli, &cmd, &error)
                                       : copy_into_set (cli, &cmd, &error);
    if (!made)
      vss_cli_fail (cli, error);
    code = vss_backup_cmd_finish (cli, &cmd, made, start, error);
  }
  vss_backup_cmd_clear (&cmd);
  return code;
}
