/* vss-restore-job-private.h — what the restore job's files share: the job
 * (vss-restore-job.c: options, the chain of sessions, results) and one
 * restore session of one set (vss-restore-session.c). */
#pragma once

#include <vss/vss-error.h>
#include <vss/vss-restore-job.h>

G_BEGIN_DECLS

struct _VssRestoreJob {
  VssBackupSet *set;
  GPtrArray *chain;              /* VssBackupSet, oldest first, not including set */
  GPtrArray *specs;              /* char*: what to restore; empty: everything */
  char *root;                    /* restore under it, or NULL */
  GPtrArray *mappings;           /* char*: OLD, NEW, … */
  char *writer_path;
  VssRestoreJobObserver observer;
  gpointer observer_data;
  GPtrArray *results;            /* VssRestoreResult, owned strings */
  guint sets;
  guint entries;
  gboolean ran;
};

/* One session: @set restored with @before (the sets before it, borrowed)
 * lending data; @more_follow for all but the last set of a log chain.
 * Replaces self->results.  FALSE with @error when the session could not
 * run (nothing matched, gather or an event call failed). */
gboolean vss_restore_session_run (VssRestoreJob *self, VssBackupSet *set, GPtrArray *before,
                                  gboolean more_follow, GError **error);

/* Does @key (a set's component key) match the job's selection? */
gboolean vss_restore_job_wants (const VssRestoreJob *self, const char *key);

/* Where @path goes: under the root, or moved by the first mapping that
 * covers it; NULL when it goes back in place. */
char    *vss_restore_job_target_of (const VssRestoreJob *self, const char *path);

void     vss_restore_job_add_result (VssRestoreJob *self, const char *component,
                                     VssRestoreOutcome outcome, const char *message,
                                     guint entries, const char *set_dir);

G_END_DECLS
