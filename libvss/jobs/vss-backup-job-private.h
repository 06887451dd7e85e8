/* vss-backup-job.h — one `vss backup` run, shared by the lifecycle part
 * (cmd-backup.c) and the part that copies or hands the snapshot over
 * (cmd-backup-copy.c). */
#pragma once

#include <vss/vss-backup-set.h>

#include "vss-backup-select.h"
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

/* ---- before the freeze (cmd-backup-plan.c) ---- */
/* The target (absent, its parent a writable directory) and the base set
 * with its chain (opened into job->base_set). */
gboolean vss_backup_job_preflight (VssBackupJob *job, GError **error);
/* The room the roots take on disk (allocated, not apparent, sizes). */
guint64  vss_backup_job_estimate_bytes (VssBackupJob *job);
/* Enough free space for a full or copy set beside job->to. */
gboolean vss_backup_job_check_space (VssBackupJob *job, GError **error);

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
/* Gather, select, start the snapshot set, check space: nothing frozen yet. */
gboolean vss_backup_job_plan (VssCli *cli, VssBackupJob *job, GError **error);
gboolean vss_backup_job_collect_failed_writers (VssCli *cli, VssBackupJob *job, GError **error);
