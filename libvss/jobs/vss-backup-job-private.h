/* vss-backup-job-private.h — what the backup job's files share: the job
 * (vss-backup-job.c: options, results, getters), its components and
 * snapshot set (vss-backup-job-snapshot-set.c), the checks before the
 * freeze (vss-backup-job-preflight.c), the copy into a set
 * (vss-backup-job-copy.c), the writers' own file rules
 * (vss-backup-job-writer-files.c) and the images staged for a program
 * that reads the original paths (vss-backup-job-stage.c). */
#pragma once

#include <vss/vss-backup-job.h>
#include <vss/vss-error.h>

#include "vss-backup-select.h"

G_BEGIN_DECLS

struct _VssBackupJob {
  /* options */
  char *to;                   /* the set to write, or NULL */
  char **components;          /* specs; NULL: every selectable component */
  char **paths;               /* canonical trees to back up too */
  char *provider;
  char *base;
  int hold_limit_ms;
  char **excludes;            /* glob patterns for the path trees */
  char *path_consistency;     /* freeze, after-thaw (default) or crash */
  char *writer_path;
  char *image_staging;        /* no set: where the images are staged (vss-backup-job-stage.c) */
  VssBackupJobObserver observer;
  gpointer observer_data;

  /* state */
  VssBackupType type;
  gboolean images;            /* writers serve the components they declared images (a full or
                               * copy set is written); no snapshot of those components */
  VssBackupComponents *bc;
  GPtrArray *selected;        /* VssSelected */
  GPtrArray *roots;           /* char*: the trees the backup reads */
  GPtrArray *set_roots;       /* char*: the paths added to the snapshot set: the roots, or
                               * with fsfreeze their filesystems' mount points */
  GPtrArray *snapshot_ids;    /* char*, parallel to set_roots */
  GPtrArray *live_roots;      /* char*: path trees no writer owns, read live
                               * (--path-consistency=crash): in no snapshot */
  GHashTable *failed_writers; /* writer name → TRUE, after the snapshot */
  VssBackupSet *base_set;
  char *staging;              /* the images' staging directory while it exists, or NULL */
  int staging_lock;           /* its flock, held while job->staging is set */
  GPtrArray *image_roots;     /* char*: the image components' file-set directories, staged */
  guint components_ok;
  guint components_failed;
  guint failed_writer_count;  /* after complete */
  guint64 bytes;
  guint entries;
  GPtrArray *results;         /* VssBackupResult, owned strings */
  gboolean ran;
};

/* Waits for @async (consumed), telling the observer how long @phase took. */
gboolean vss_backup_job_wait (VssBackupJob *job, VssAsync *async, const char *phase,
                              GError **error);
/* A target was set (VSS_ERROR_INVALID_ARG otherwise). */
gboolean vss_backup_job_has_target (VssBackupJob *job, GError **error);
/* Records (or replaces) the result of @key. */
void     vss_backup_job_set_result (VssBackupJob *job, const char *key, gboolean succeeded,
                                    const char *message);

/* @path is @root or below it. */
gboolean vss_backup_job_is_within (const char *path, const char *root);
/* @path with its symlinks resolved, or as given when it cannot be (gone). */
char    *vss_backup_job_canonical (const char *path);
/* Adds @path (made canonical) to @roots unless a root covers it; drops
 * the roots it covers. */
void     vss_backup_job_add_root (GPtrArray *roots, const char *path);
/* The file-set directories of the components served as images (char*). */
GPtrArray *vss_backup_job_image_roots (VssBackupJob *job);
/* The snapshot that holds @path, or NULL (read live). */
const char *vss_backup_job_snapshot_id (VssBackupJob *job, const char *path);
/* How the path tree @path is read: "freeze", "after-thaw" or "crash"
 * (recorded in the set's manifest). */
const char *vss_backup_job_path_consistency (VssBackupJob *job, const char *path);
/* Writers that failed by now: their components are not backed up. */
gboolean vss_backup_job_collect_failed_writers (VssBackupJob *job, GError **error);
/* Counts the failed writers that change the outcome (statuses just gathered). */
guint    vss_backup_job_count_failed_writers (VssBackupJob *job);

/* ---- before the freeze (vss-backup-job-preflight.c) ---- */
/* The target (absent, its parent a writable directory) and the base set
 * with its chain (opened into job->base_set). */
gboolean vss_backup_job_preflight (VssBackupJob *job, GError **error);
/* The room the writers' images will take, estimated from their stores. */
guint64  vss_backup_job_estimate_image_bytes (VssBackupJob *job);
/* @needed bytes free on @dir's filesystem; else VSS_ERROR_INSUFFICIENT_STORAGE
 * saying "not enough space @what: about N needed, M free in @dir; … or @advice". */
gboolean vss_backup_job_check_room (const char *dir, guint64 needed, const char *what,
                                    const char *advice, GError **error);
/* Enough free space for a full or copy set beside job->to. */
gboolean vss_backup_job_check_space (VssBackupJob *job, GError **error);

/* No set, images staged: enough free space where they go, estimated from
 * the writers' stores (vss-backup-job-stage.c). */
gboolean vss_backup_job_check_staging_space (VssBackupJob *job, GError **error);

/* ---- the writers' file rules (vss-backup-job-writer-files.c) ---- */
/* The writer's exclude files, and the file sets of its other components
 * nested in @s's, left out of the file sets of @s added next. */
void     vss_backup_job_set_writer_excludes (VssBackupSetWriter *set, const VssSelected *s);
/* Is one of the file-set paths @a and @b (as declared) strictly below the
 * other?  Then, for two components of one writer, the outer one's copy
 * leaves the inner one's directory out. */
gboolean vss_backup_job_file_sets_nest (const char *a, const char *b);
/* The files the writer of @s provided after the snapshot
 * (vss_component_add_post_snapshot_file), from the live filesystem, and
 * the images it served (vss_writer_serve_image), read from their sockets;
 * call before the component's file sets so they stand for the snapshot's
 * copy.  An image component without an image fails. */
gboolean vss_backup_job_add_post_snapshot_files (VssBackupJob *job, VssBackupSetWriter *set,
                                                 const VssSelected *s, GError **error);
/* The bytes the writers provided after the snapshot (their images' sizes
 * and the live files'), over the components whose writers did not fail. */
guint64  vss_backup_job_post_snapshot_bytes (VssBackupJob *job);
/* @s's files come as writer images in this backup (no snapshot of them). */
gboolean vss_backup_job_is_image (const VssBackupJob *job, const VssSelected *s);

G_END_DECLS
