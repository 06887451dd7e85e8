/* cmd-backup.c — `vss backup`: the options, the output, and the front ends around the
 * backup job (libvss/jobs/). */
#include "vss-backup-cmd.h"
#include "vss-options.h"
#include "vss-restic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
vss_backup_job_check_options (VssCli *cli, VssBackupJob *job)
{
  g_autoptr(GError) error = NULL;
  if (job->job_name != NULL && !vss_backup_job_load_file (job, job->job_name, &error))
    return vss_cli_usage (cli, "backup", "%s", error->message);
  if ((job->to != NULL) + (job->exec != NULL) + (job->repo != NULL) != 1)
    return vss_cli_usage (cli, "backup", "give exactly one of --to DIR (make a backup set), "
                          "--repo restic:REPO (store it with restic) or --exec CMD (hand the "
                          "snapshot to CMD)");
  if (job->repo != NULL && !vss_restic_is_repo (job->repo))
    return vss_cli_usage (cli, "backup", "--repo takes restic:REPO (a restic repository)");
  if (!vss_backup_type_from_string (job->type_name != NULL ? job->type_name : "full", &job->type) ||
      job->type == VSS_BT_OTHER || job->type == VSS_BT_UNDEFINED)
    return vss_cli_usage (cli, "backup", "--type must be full, copy, incremental, differential or log");
  gboolean needs_base = job->type == VSS_BT_INCREMENTAL || job->type == VSS_BT_DIFFERENTIAL ||
                        job->type == VSS_BT_LOG;
  if (needs_base && job->repo != NULL)
    return vss_cli_usage (cli, "backup", "--repo takes --type full or copy: every restic "
                          "snapshot is whole (restic stores only what changed)");
  if (needs_base && job->base == NULL && job->to != NULL)
    return vss_cli_usage (cli, "backup", "--type %s needs --base DIR, the set it builds on",
                          job->type_name);
  if (job->excludes != NULL && (job->paths == NULL || job->paths[0] == NULL))
    return vss_cli_usage (cli, "backup", "--exclude applies to --path trees: give --path DIR");
  if (job->path_consistency == NULL)
    job->path_consistency = g_strdup ("after-thaw");
  if (!g_str_equal (job->path_consistency, "freeze") &&
      !g_str_equal (job->path_consistency, "after-thaw") &&
      !g_str_equal (job->path_consistency, "crash"))
    return vss_cli_usage (cli, "backup", "--path-consistency must be freeze, after-thaw or crash");
  if (!needs_base && job->base != NULL)
    return vss_cli_usage (cli, "backup", "--base only goes with --type incremental, differential or log");
  if (job->snapshot_command != NULL) {
    if (job->provider == NULL)
      job->provider = g_strdup ("fsfreeze");
    if (!g_str_equal (job->provider, "fsfreeze"))
      return vss_cli_usage (cli, "backup", "--snapshot-command goes with the fsfreeze provider, "
                            "not --provider %s", job->provider);
    /* Read by the provider at do_snapshot_set (docs/env.md). */
    g_setenv ("VSS_FSFREEZE_COMMAND", job->snapshot_command, TRUE);
  }
  /* Each --path once, canonical: the snapshot set and the set's keys use it. */
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++) {
    char *canonical = realpath (job->paths[i], NULL);
    if (canonical == NULL)
      return vss_cli_usage (cli, "backup", "--path %s: %s", job->paths[i], g_strerror (errno));
    g_free (job->paths[i]);
    job->paths[i] = g_strdup (canonical);
    free (canonical);
  }
  return -1;
}

void
vss_backup_job_emit_snapshots (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->snapshot_ids->len; i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        job->bc, g_ptr_array_index (job->snapshot_ids, i), NULL);
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
  if (vss_backup_components_get_snapshot_timings (job->bc, &t, NULL)) {
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

int
vss_backup_job_finish (VssCli *cli, VssBackupJob *job, gboolean made, gint64 start, const GError *failure)
{
  VssAsync *async = NULL;
  g_autoptr(GError) error = NULL;
  if (vss_backup_components_backup_complete (job->bc, &async, &error))
    vss_cli_wait (cli, async, "complete", &error);
  vss_cli_report_writers (cli, job->bc, TRUE, NULL);
  guint failed_writers = count_failed_writers (job);
  guint paths = job->paths != NULL ? g_strv_length (job->paths) : 0;
  int code = !made || job->components_ok + paths == 0 ? VSS_EXIT_FAILED
             : (failed_writers > 0 || job->components_failed > 0) ? VSS_EXIT_PARTIAL : VSS_EXIT_OK;
  const char *status = code == VSS_EXIT_OK ? "success" : code == VSS_EXIT_PARTIAL ? "partial" : "failed";
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (status));
  json_object_object_add (obj, "exit_code", json_object_new_int (code));
  if (job->to != NULL)
    json_object_object_add (obj, "backup_set", json_object_new_string (job->to));
  if (job->repo != NULL)
    json_object_object_add (obj, "repository", json_object_new_string (job->repo));
  if (job->restic_snapshot != NULL)
    json_object_object_add (obj, "restic_snapshot", json_object_new_string (job->restic_snapshot));
  if (job->set_id != NULL && job->to == NULL)
    json_object_object_add (obj, "set_id", json_object_new_string (job->set_id));
  json_object_object_add (obj, "components_ok", json_object_new_int ((int) job->components_ok));
  json_object_object_add (obj, "components_failed", json_object_new_int ((int) job->components_failed));
  json_object_object_add (obj, "bytes", json_object_new_int64 ((gint64) job->bytes));
  json_object_object_add (obj, "files", json_object_new_int ((int) job->entries));
  json_object_object_add (obj, "duration_ms", json_object_new_double ((g_get_monotonic_time () - start) / 1000.0));
  if (failure != NULL)
    json_object_object_add (obj, "message", json_object_new_string (failure->message));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "backup %s: %u component(s) and %u path(s) backed up, %u failed%s%s\n",
                 status, job->components_ok, made ? paths : 0, job->components_failed,
                 job->to ? ", set " : "", job->to ? job->to : "");
  return code;
}

int
vss_cmd_backup (VssCli *cli, int argc, char **argv)
{
  VssBackupJob job = { 0 };
  VssClusterOptions cluster = { 0 };
  const GOptionEntry entries[] = {
    { "to", 't', 0, G_OPTION_ARG_FILENAME, &job.to, "Write a backup set to DIR (must not exist)", "DIR" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &job.type_name, "full (default), copy, incremental, differential or log", "TYPE" },
    { "component", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &job.components, "Only this writer, or one of its components (repeatable)", "WRITER[:LOGICAL/PATH]" },
    { "path", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &job.paths, "Also back up this directory (repeatable)", "PATH" },
    { "provider", 0, 0, G_OPTION_ARG_STRING, &job.provider, "Snapshot provider: btrfs, reflink, copy or fsfreeze (default: the cheapest that works; fsfreeze only when named)", "NAME" },
    { "repo", 'r', 0, G_OPTION_ARG_STRING, &job.repo, "Store the snapshot with restic in REPO (restic's RESTIC_PASSWORD or RESTIC_PASSWORD_FILE), components at their original paths", "restic:REPO" },
    { "exec", 'e', 0, G_OPTION_ARG_STRING, &job.exec, "Run CMD with the snapshot exposed instead of making a set", "CMD" },
    { "base", 'b', 0, G_OPTION_ARG_FILENAME, &job.base, "The set an incremental/differential/log backup builds on", "DIR" },
    { "hold-limit", 0, 0, G_OPTION_ARG_INT, &job.hold_limit_ms, "Longest snapshot commit in ms (default 10000)", "MS" },
    { "job", 'j', 0, G_OPTION_ARG_STRING, &job.job_name, "Take the unset options from the job file jobs/NAME.conf of the configuration directory", "NAME" },
    { "path-consistency", 0, 0, G_OPTION_ARG_STRING, &job.path_consistency, "How --path trees no writer owns are read: after-thaw (default: their own snapshot once the writers thawed), freeze (inside the writers' freeze) or crash (no snapshot: read live, file by file)", "MODE" },
    { "exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &job.excludes, "Leave out what matches PATTERN under a --path tree (repeatable; a glob on the path below the tree, or on a file name)", "PATTERN" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &job.dry_run, "Gather, select and check providers and space; show what would be frozen and copied; freeze nothing", NULL },
    { "cluster", 0, 0, G_OPTION_ARG_STRING, &cluster.urls, "Make a cluster snapshot set through the agents registered in etcd at URL[,URL…] (docs/cluster.md)", "URL" },
    { "hosts", 0, 0, G_OPTION_ARG_STRING, &cluster.hosts, "With --cluster: only these hosts (default: every registered agent)", "H1,H2,…" },
    { "cluster-config", 0, 0, G_OPTION_ARG_FILENAME, &cluster.config, "With --cluster: prefix, TLS and credentials (default: cluster.conf in the configuration directory)", "FILE" },
    { "snapshot-command", 0, 0, G_OPTION_ARG_STRING, &job.snapshot_command, "Block-level snapshot tool for the fsfreeze provider: run as 'CMD create' while the filesystem is frozen (prints the read-only mount of the snapshot) and 'CMD delete' (implies --provider fsfreeze)", "CMD" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "backup", NULL,
                            "Snapshot the writers' data at one consistent instant and copy it into a "
                            "backup set,\nor hand the snapshot to another program with --exec.",
                            entries, &argc, &argv);
  if (done < 0)
    done = argc > 1 ? vss_cli_usage (cli, "backup", "unexpected argument %s", argv[1]) : -1;
  if (done < 0 && cluster.urls != NULL)
    done = vss_cmd_backup_cluster (cli, &cluster, job.to);   /* cmd-backup-cluster.c */
  if (done < 0)
    done = vss_backup_job_check_options (cli, &job);
  vss_cluster_options_clear (&cluster);
  if (done >= 0) {
    vss_backup_job_clear (&job);
    return done;
  }
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  int code;
  if (!vss_backup_job_preflight (&job, &error) || !vss_backup_job_plan (cli, &job, &error)) {
    /* an unknown --component is the command line's fault */
    code = g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_ARG)
               ? vss_cli_usage (cli, "backup", "%s", error->message)
               : vss_cli_fail (cli, error);
  } else if (job.dry_run) {
    code = vss_backup_job_show_plan (cli, &job);
  } else if (!snapshot (cli, &job, &error)) {
    code = vss_cli_fail (cli, error);
  } else {
    gboolean made = job.exec != NULL ? vss_backup_job_exec (cli, &job, &error)
                    : job.repo != NULL ? vss_backup_job_restic (cli, &job, &error)
                                       : vss_backup_job_copy (cli, &job, &error);
    if (!made)
      vss_cli_fail (cli, error);
    code = vss_backup_job_finish (cli, &job, made, start, error);
  }
  vss_backup_job_clear (&job);
  return code;
}
