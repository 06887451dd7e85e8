/* vss-backup-cmd.h — `vss backup` around the backup job: the front ends
 * (--exec, --repo, --cluster), --dry-run, job files and the output. */
#pragma once

#include "vss-cli.h"
#include "vss-snapshot-view.h"

typedef struct _VssBackupCmd VssBackupCmd;
struct _VssBackupCmd {
  /* options */
  char *to;
  char *type_name;
  char **components;
  char **paths;
  char *provider;
  char *snapshot_command;
  char *exec;
  char *repo;                 /* --repo restic:REPO */
  char *base;
  int hold_limit_ms;
  char *job_name;             /* --job: options from <config dir>/jobs/NAME.conf */
  char **excludes;            /* --exclude: glob patterns for --path trees */
  char *path_consistency;     /* --path-consistency: freeze, after-thaw (default) or crash */
  char *copy_priority;        /* --copy-priority: background (default), normal or idle */
  gboolean dry_run;

  /* state */
  VssCli *cli;
  VssBackupType type;
  VssBackupJob *job;          /* the library's job, made from the options */
  guint64 bytes;              /* what --repo stored (--to: the job's) */
  guint entries;
  char *set_id;               /* a UUID: the set's identity in a repository */
  char *restic_snapshot;      /* the snapshot restic saved (--repo) */
  /* called once the snapshot set exists and the writers thawed (vss agent) */
  void (*snapshot_taken) (VssBackupCmd *cmd, gpointer data);
  gpointer snapshot_taken_data;
};

/* The job of the options (after check_options), telling @cli its phases,
 * snapshots, progress, components and writers as `vss backup` shows them. */
gboolean vss_backup_cmd_make_job (VssCli *cli, VssBackupCmd *cmd, GError **error);
/* make_job and vss_backup_job_plan: nothing frozen yet. */
gboolean vss_backup_cmd_plan (VssCli *cli, VssBackupCmd *cmd, GError **error);

/* Runs cmd->exec with the snapshot exposed; marks the components
 * succeeded only when it exits 0. */
gboolean vss_backup_cmd_exec (VssCli *cli, VssBackupCmd *cmd, GError **error);

/* ---- the snapshot at the original paths (cmd-backup-view.c) ---- */
/* A new temporary directory with bcd.json, writers/NAME.json,
 * components.json and paths (docs/repositories.md); sets cmd->set_id. */
char *vss_backup_cmd_write_metadata (VssBackupCmd *cmd, int *out_lock, GError **error);
/* Removes it; @lock (its lock from write_metadata, or -1) is closed after.
 * A directory left by a killed run is removed by the next one's
 * write_metadata. */
void  vss_backup_cmd_remove_metadata (const char *dir, int lock);
/* Every root shown read-only at its original path, @metadata_dir at
 * VSS_VIEW_SET_DIR. */
VssSnapshotView *vss_backup_cmd_make_view (VssBackupCmd *cmd, const char *metadata_dir,
                                           GError **error);
/* vss's environment plus VSS_SNAPSHOT_PATH(S), VSS_SNAPSHOT_SET_ID,
 * VSS_SET_DIR, VSS_BCD and VSS_PATHS_FILE. */
char **vss_backup_cmd_view_env (VssBackupCmd *cmd);
/* Runs @argv in the view (cmd-backup-exec.c): its wait status, or -1 with
 * @error when it could not start. */
int vss_backup_cmd_run_in_view (VssBackupCmd *cmd, const char *const *argv, int stdout_fd,
                                void (*started) (gpointer data), gpointer data, GError **error);

/* ---- --repo restic:REPO (cmd-backup-restic.c) ---- */
/* restic backup of the roots and the metadata in the view; marks the
 * components succeeded once restic reports the snapshot saved. */
gboolean vss_backup_cmd_restic (VssCli *cli, VssBackupCmd *cmd, GError **error);

/* --dry-run: what would be frozen, snapshotted and copied; the exit code. */
int      vss_backup_cmd_show_plan (VssCli *cli, VssBackupCmd *cmd);

/* ---- job files (vss-job-file.c) ---- */
/* Fills the options the command line left unset from the job file NAME. */
gboolean vss_backup_cmd_load_file (VssBackupCmd *cmd, const char *name, GError **error);

/* ---- the lifecycle pieces of cmd-backup.c, shared with `vss agent` ---- */
void     vss_backup_cmd_clear (VssBackupCmd *cmd);
/* -1 when the options are usable, else the exit code. */
int      vss_backup_cmd_check_options (VssCli *cli, VssBackupCmd *cmd);
void     vss_backup_cmd_emit_snapshots (VssCli *cli, VssBackupCmd *cmd);
/* backup_complete, the writers' report and the summary; the exit code. */
int      vss_backup_cmd_finish (VssCli *cli, VssBackupCmd *cmd, gboolean made, gint64 start,
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
