/* vss-backup-job.h — one `vss backup` run, shared by the lifecycle part
 * (cmd-backup.c) and the part that copies or hands the snapshot over
 * (cmd-backup-copy.c). */
#pragma once

#include <vss/vss-backup-set.h>

#include "vss-select.h"
#include "vss-snapshot-view.h"

typedef struct _VssBackupJob VssBackupJob;
struct _VssBackupJob {
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
  VssBackupType type;
  VssBackupComponents *bc;
  GPtrArray *selected;        /* VssSelected */
  GPtrArray *roots;           /* char*: the trees the backup reads */
  GPtrArray *set_roots;       /* char*: the paths added to the snapshot set: the roots, or
                               * with fsfreeze their filesystems' mount points */
  GPtrArray *snapshot_ids;    /* char*, parallel to set_roots */
  GPtrArray *live_roots;      /* char*: --path trees no writer owns, read live
                               * (--path-consistency=crash): in no snapshot */
  GHashTable *failed_writers; /* writer name → TRUE, after the snapshot */
  VssBackupSet *base_set;
  guint components_ok;
  guint components_failed;
  guint64 bytes;
  guint entries;
  char *set_id;               /* a UUID: the set's identity in a repository */
  char *restic_snapshot;      /* the snapshot restic saved (--repo) */
};

/* Where @original (a file-set path or --path) is inside the snapshot (or
 * @original itself for a tree read live), or NULL when nothing covers it. */
char *vss_backup_job_snapshot_path (VssBackupJob *job, const char *original, GError **error);
/* @path is @root or below it. */
gboolean vss_backup_job_is_within (const char *path, const char *root);
/* The snapshot that holds @path, or NULL (read live). */
const char *vss_backup_job_snapshot_id (VssBackupJob *job, const char *path);
/* How the --path tree @path is read: "freeze", "after-thaw" or "crash"
 * (recorded in the set's manifest). */
const char *vss_backup_job_path_consistency (VssBackupJob *job, const char *path);

/* Copies every selected component (and --path) into a new backup set at
 * job->to, marks each component's backup_succeeded, and commits the set
 * with the final document.  FALSE when the set could not be made. */
gboolean vss_backup_job_copy (VssCli *cli, VssBackupJob *job, GError **error);

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

/* ---- before the freeze (cmd-backup-plan.c) ---- */
/* The target (absent, its parent a writable directory) and the base set
 * with its chain (opened into job->base_set). */
gboolean vss_backup_job_preflight (VssBackupJob *job, GError **error);
/* The room the roots take on disk (allocated, not apparent, sizes). */
guint64  vss_backup_job_estimate_bytes (VssBackupJob *job);
/* Enough free space for a full or copy set beside job->to. */
gboolean vss_backup_job_check_space (VssBackupJob *job, GError **error);
/* --dry-run: what would be frozen, snapshotted and copied; the exit code. */
int      vss_backup_job_show_plan (VssCli *cli, VssBackupJob *job);

/* ---- job files (vss-job-file.c) ---- */
/* Fills the options the command line left unset from the job file NAME. */
gboolean vss_backup_job_load_file (VssBackupJob *job, const char *name, GError **error);

/* Marks every selected component of a writer that did not fail with
 * @succeeded (the ones of failed writers with FALSE). */
/* The writer's exclude files, and the file sets of its other components
 * nested in @s's, left out of the file sets of @s added next
 * (cmd-backup-writer-files.c). */
void     vss_backup_job_set_writer_excludes (VssBackupSetWriter *set, const VssSelected *s);
/* The files the writer of @s provided after the snapshot
 * (vss_component_add_post_snapshot_file), from the live filesystem; call
 * before the component's file sets so they stand for the snapshot's copy. */
gboolean vss_backup_job_add_post_snapshot_files (VssBackupJob *job, VssBackupSetWriter *set,
                                                 const VssSelected *s, GError **error);
gboolean vss_backup_job_mark (VssBackupJob *job, gboolean succeeded, GError **error);

/* ---- the lifecycle pieces of cmd-backup.c, shared with `vss agent` ---- */
void     vss_backup_job_clear (VssBackupJob *job);
/* -1 when the options are usable, else the exit code. */
int      vss_backup_job_check_options (VssCli *cli, VssBackupJob *job);
/* Gather, select, start the snapshot set, check space: nothing frozen yet. */
gboolean vss_backup_job_plan (VssCli *cli, VssBackupJob *job, GError **error);
void     vss_backup_job_emit_snapshots (VssCli *cli, VssBackupJob *job);
gboolean vss_backup_job_collect_failed_writers (VssCli *cli, VssBackupJob *job, GError **error);
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
