/* vss-backup-cmd.h — `vss backup` around the backup job: the front ends
 * (--exec, --repo, --cluster), --dry-run, job files and the output. */
#pragma once

#include "vss-backup-job-private.h"
#include "vss-cli.h"
#include "vss-snapshot-view.h"

/* Runs job->exec with the snapshot exposed; marks the components
 * succeeded only when it exits 0. */
gboolean vss_backup_job_exec (VssCli *cli, VssBackupJob *job, GError **error);

/* ---- the snapshot at the original paths (cmd-backup-view.c) ---- */
/* A new temporary directory with bcd.json, writers/NAME.json,
 * components.json and paths (docs/repositories.md); sets job->set_id. */
char *vss_backup_job_write_metadata (VssBackupJob *job, GError **error);
void  vss_backup_job_remove_metadata (const char *dir);
/* Every root shown read-only at its original path, @metadata_dir at
 * VSS_VIEW_SET_DIR. */
VssSnapshotView *vss_backup_job_make_view (VssBackupJob *job, const char *metadata_dir,
                                           GError **error);
/* vss's environment plus VSS_SNAPSHOT_PATH(S), VSS_SNAPSHOT_SET_ID,
 * VSS_SET_DIR, VSS_BCD and VSS_PATHS_FILE. */
char **vss_backup_job_view_env (VssBackupJob *job);
/* Runs @argv in the view (cmd-backup-exec.c): its wait status, or -1 with
 * @error when it could not start. */
int vss_backup_job_run_in_view (VssBackupJob *job, const char *const *argv, int stdout_fd,
                                void (*started) (gpointer data), gpointer data, GError **error);

/* ---- --repo restic:REPO (cmd-backup-restic.c) ---- */
/* restic backup of the roots and the metadata in the view; marks the
 * components succeeded once restic reports the snapshot saved. */
gboolean vss_backup_job_restic (VssCli *cli, VssBackupJob *job, GError **error);

/* --dry-run: what would be frozen, snapshotted and copied; the exit code. */
int      vss_backup_job_show_plan (VssCli *cli, VssBackupJob *job);

/* ---- job files (vss-job-file.c) ---- */
/* Fills the options the command line left unset from the job file NAME. */
gboolean vss_backup_job_load_file (VssBackupJob *job, const char *name, GError **error);

/* ---- the lifecycle pieces of cmd-backup.c, shared with `vss agent` ---- */
/* -1 when the options are usable, else the exit code. */
int      vss_backup_job_check_options (VssCli *cli, VssBackupJob *job);
void     vss_backup_job_emit_snapshots (VssCli *cli, VssBackupJob *job);
/* backup_complete, the writers' report and the summary; the exit code. */
int      vss_backup_job_finish (VssCli *cli, VssBackupJob *job, gboolean made, gint64 start,
                                const GError *failure);

/* ---- `vss backup --cluster` (cmd-backup-cluster.c) ---- */
typedef struct {
  char *urls;
  char *hosts;
  char *config;
} VssClusterOptions;
void vss_cluster_options_clear (VssClusterOptions *options);
/* Runs the cluster backup to @to; the exit code. */
int  vss_cmd_backup_cluster (VssCli *cli, VssClusterOptions *options, const char *to);
/* The cluster configuration: @config_path (NULL: cluster.conf in the
 * configuration directory, defaults when absent), endpoints from @urls
 * when given. (cmd-backup-cluster.c, also for `vss agent`) */
VssClusterConfig *vss_cli_cluster_config (const char *config_path, const char *urls, GError **error);
/* `vss verify DIR` of a cluster set: every host's set and the manifest. */
int  vss_cli_verify_cluster_set (VssCli *cli, const char *dir);
/* `vss restore --from DIR --host H`: *from becomes H's set inside the
 * cluster set; -1 to go on, or the exit code.  Nothing without @host. */
int  vss_cli_cluster_host_set (VssCli *cli, char **from, const char *host);
