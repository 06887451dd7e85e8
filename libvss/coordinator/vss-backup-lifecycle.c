/* vss-backup-lifecycle.c — the event sequences of a backup.
 *
 * Promises kept here, whatever writers and providers do:
 *  - events go to writers in parallel, each bounded by its deadline;
 *  - a writer that fails or misses a deadline fails only itself: it gets
 *    no further events but the cleanup ones (thaw if frozen, abort);
 *  - every writer that was sent freeze is sent thaw or abort;
 *  - abort reaches every writer that was sent prepare_backup, and never
 *    comes after post_snapshot;
 *  - a failed or cancelled snapshot set leaves no snapshot behind. */
#include "vss-backup-events.h"
#include "vss-freeze-watchdog.h"
#include "providers/vss-snapshot-store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- gather_writer_metadata ---- */

static void
load_writers (VssBackupComponents *self)
{
  g_autofree char *search_path = vss_writer_module_search_path (self->writer_path);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (search_path);
  for (guint i = 0; i < modules->len; i++)
    g_ptr_array_add (self->writers, vss_writer_proxy_new (g_ptr_array_index (modules, i),
                                                          self->writer_transport));
  /* Application-hosted writers (vss-writer-client.h) take part too. */
  g_autoptr(GPtrArray) apps = vss_app_modules_collect ();
  for (guint i = 0; i < apps->len; i++)
    g_ptr_array_add (self->writers, vss_writer_proxy_new (g_ptr_array_index (apps, i), NULL));
  g_debug ("%u writer(s) found in %s", self->writers->len, search_path);
}

static gboolean
is_loaded (VssWriterProxy *proxy)
{
  return TRUE;
}

gboolean
vss_lifecycle_gather_metadata (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  load_writers (self);
  if (!vss_events_send_to (self, is_loaded, VSS_EVENT_IDENTIFY, cancellable))
    return vss_events_cancelled ("gather_writer_metadata", error);
  vss_events_add_step (self, VSS_STEP_GATHERED);
  return TRUE;
}

/* ---- prepare_for_backup ---- */

/* In component mode only writers with an added component take part after
 * prepare_backup; in volume mode every writer does. */
static void
mark_involved (VssBackupComponents *self, GPtrArray *prepared)
{
  for (guint i = 0; i < prepared->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (prepared, i);
    VssBcdWriter *writer = vss_state_bcd_writer (self, proxy);
    gboolean involved = !self->document->select_components ||
                        (writer != NULL && writer->components->len > 0);
    g_mutex_lock (&proxy->lock);
    proxy->involved = involved;
    g_mutex_unlock (&proxy->lock);
  }
}

static void
mark_prepared (GPtrArray *targets)
{
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    g_mutex_lock (&proxy->lock);
    proxy->prepared = TRUE;
    g_mutex_unlock (&proxy->lock);
  }
}

gboolean
vss_lifecycle_prepare_for_backup (VssBackupComponents *self, GCancellable *cancellable,
                                  GError **error)
{
  self->bcd_writable = TRUE;
  g_autoptr(GPtrArray) targets = vss_events_select (self, vss_events_is_identified);
  mark_prepared (targets);
  gboolean cancelled = FALSE;
  g_autoptr(GPtrArray) replies = vss_events_send (self, targets, VSS_EVENT_PREPARE_BACKUP,
                                                  cancellable, &cancelled);
  if (cancelled) {
    vss_lifecycle_abort (self);
    return vss_events_cancelled ("prepare_for_backup", error);
  }
  mark_involved (self, targets);
  vss_events_add_step (self, VSS_STEP_PREPARED);
  return TRUE;
}

/* ---- do_snapshot_set ---- */

/* Writers that failed inside the window get their cleanup at once: a
 * writer that did not answer freeze may still freeze, so it is sent thaw
 * (queued behind its freeze) before abort. */
static void
clean_up_failed (VssBackupComponents *self, GPtrArray *targets, GPtrArray *replies, VssEvent event)
{
  /* The reference: failures in prepare_snapshot raise no abort. */
  if (event == VSS_EVENT_PREPARE_SNAPSHOT)
    return;
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    const VssEventReply *reply = g_ptr_array_index (replies, i);
    if (reply->ok)
      continue;
    g_mutex_lock (&proxy->lock);
    gboolean send_thaw = proxy->frozen && reply->failure == VSS_WF_NOT_RESPONDING;
    gboolean send_abort = !proxy->aborted;
    proxy->frozen = FALSE;
    proxy->aborted = TRUE;
    g_mutex_unlock (&proxy->lock);
    if (send_thaw)
      vss_events_forget (self, proxy, VSS_EVENT_THAW);
    if (send_abort)
      vss_events_forget (self, proxy, VSS_EVENT_ABORT);
  }
}

static void
mark_frozen (GPtrArray *targets)
{
  gint64 now = g_get_monotonic_time ();
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    g_mutex_lock (&proxy->lock);
    proxy->frozen = TRUE;
    proxy->freeze_sent_usec = now;
    g_mutex_unlock (&proxy->lock);
  }
}

static void
mark_thawed (GPtrArray *targets)
{
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    g_mutex_lock (&proxy->lock);
    proxy->frozen = FALSE;
    g_mutex_unlock (&proxy->lock);
  }
}

/* Sends @event to the active writers; failures get their cleanup. */
static gboolean
window_event (VssBackupComponents *self, GPtrArray *targets, VssEvent event, GCancellable *cancellable)
{
  gboolean cancelled = FALSE;
  g_autoptr(GPtrArray) replies = vss_events_send (self, targets, event, cancellable, &cancelled);
  clean_up_failed (self, targets, replies, event);
  return !cancelled;
}

static gboolean
prepare_providers (VssBackupComponents *self, GError **error)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (!snapshot->provider->prepare (snapshot, self->hold_timeout_ms, error))
      return FALSE;
  }
  return TRUE;
}

/* Flush dirty data before the window, so the commit inside it has little
 * left to write (a 256 MiB flush takes ~0.2 s; see docs/architecture.md).
 * Not for an after-thaw snapshot: its commit holds nobody, and a syncfs
 * would only make the applications on that filesystem wait for the
 * flush and its journal commit (a database's next fsync does). */
static void
flush_filesystems (VssBackupComponents *self)
{
  /* Off only for the freeze-window benchmark (docs/env.md). */
  if (g_strcmp0 (g_getenv ("VSS_NO_PREFLUSH"), "1") == 0)
    return;
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (snapshot->after_thaw)
      continue;
    g_debug ("pre-flush of %s", snapshot->original_path);
    int fd = open (snapshot->original_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || syncfs (fd) != 0)
      g_debug ("pre-flush of %s skipped: %s", snapshot->original_path, g_strerror (errno));
    if (fd >= 0)
      close (fd);
  }
}

static gboolean
commit_one (VssBackupComponents *self, guint i, gint64 deadline, GError **error)
{
  VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
  if (!snapshot->provider->commit (snapshot, deadline, error))
    return FALSE;
  VssBcdSnapshot *recorded = g_ptr_array_index (self->document->snapshots, i);
  g_free (recorded->snapshot_path);
  recorded->snapshot_path = g_strdup (snapshot->snapshot_path);
  return TRUE;
}

/* The snapshots of the freeze window (@after_thaw FALSE, bounded by the
 * hold limit), or those taken once the writers thawed (no deadline: they
 * hold nobody). */
static gboolean
commit_providers (VssBackupComponents *self, gboolean after_thaw, GError **error)
{
  gint64 deadline = after_thaw ? 0 : g_get_monotonic_time () + (gint64) self->hold_timeout_ms * 1000;
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (snapshot->after_thaw == after_thaw && !commit_one (self, i, deadline, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
fail_set (VssBackupComponents *self, GError **error, GError *cause)
{
  vss_lifecycle_abort (self);
  g_propagate_error (error, cause);
  return FALSE;
}

/* Freeze → commit → thaw, with @watchdog (started here, finished by the
 * caller after any abort) bounding each freeze window. */
static gboolean
run_window (VssBackupComponents *self, GCancellable *cancellable, VssFreezeWatchdog **watchdog,
            GError **cause)
{
  VssSnapshotTimings *t = &self->timings;
  g_autoptr(GPtrArray) active = vss_events_select (self, vss_events_is_active);
  gint64 start = g_get_monotonic_time ();
  /* The window of each writer starts when freeze is sent, so the watchdog
   * runs from then on, also while slower writers are still freezing. */
  mark_frozen (active);
  *watchdog = vss_freeze_watchdog_start (self->writers, vss_events_build_request, self);
  gboolean go_on = window_event (self, active, VSS_EVENT_FREEZE, cancellable);
  t->freeze_usec = g_get_monotonic_time () - start;
  if (!go_on)
    return vss_events_cancelled ("do_snapshot_set", cause);

  /* A cluster barrier (all hosts frozen) may hold the commit here. */
  if (!vss_window_gate_pass (self, VSS_WINDOW_GATE_COMMIT, cause))
    return FALSE;
  gint64 commit_start = g_get_monotonic_time ();
  gboolean committed = commit_providers (self, FALSE, cause);
  t->commit_usec = g_get_monotonic_time () - commit_start;
  if (!committed)
    return FALSE;
  /* … and the thaw, until every host committed. */
  if (!vss_window_gate_pass (self, VSS_WINDOW_GATE_THAW, cause))
    return FALSE;

  gint64 thaw_start = g_get_monotonic_time ();
  g_autoptr(GPtrArray) frozen = vss_events_select (self, vss_events_is_frozen);
  mark_thawed (frozen);
  /* Too late to cancel; a thaw not answered within its window is
   * followed by abort, which the watchdog enforces. */
  window_event (self, frozen, VSS_EVENT_THAW, NULL);
  t->thaw_usec = g_get_monotonic_time () - thaw_start;
  t->window_usec = g_get_monotonic_time () - start;
  return TRUE;
}

gboolean
vss_lifecycle_do_snapshot_set (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  VssSnapshotTimings *t = &self->timings;
  memset (t, 0, sizeof *t);
  gint64 start = g_get_monotonic_time ();
  GError *cause = NULL;

  g_autoptr(GPtrArray) active = vss_events_select (self, vss_events_is_active);
  if (!window_event (self, active, VSS_EVENT_PREPARE_SNAPSHOT, cancellable))
    return fail_set (self, error, (vss_events_cancelled ("do_snapshot_set", &cause), cause));
  if (!prepare_providers (self, &cause) || !vss_snapshot_store_record (self->snapshots, &cause))
    return fail_set (self, error, cause);
  t->prepare_usec = g_get_monotonic_time () - start;

  gint64 flush_start = g_get_monotonic_time ();
  flush_filesystems (self);
  t->flush_usec = g_get_monotonic_time () - flush_start;
  /* A cluster barrier may hold the freeze until every host is as far. */
  if (!vss_window_gate_pass (self, VSS_WINDOW_GATE_FREEZE, &cause))
    return fail_set (self, error, cause);

  VssFreezeWatchdog *watchdog = NULL;
  gboolean done = run_window (self, cancellable, &watchdog, &cause) &&
                  vss_snapshot_store_record (self->snapshots, &cause);
  if (!done)
    vss_lifecycle_abort (self);
  /* Before anything is reported: every writer of the window answered its
   * abort, or its process is gone. */
  vss_freeze_watchdog_finish (watchdog);
  if (!done) {
    g_propagate_error (error, cause);
    return FALSE;
  }
  /* Trees no writer owns, copied now that nobody waits for them. */
  gint64 after_start = g_get_monotonic_time ();
  if (!commit_providers (self, TRUE, &cause) || !vss_snapshot_store_record (self->snapshots, &cause))
    return fail_set (self, error, cause);
  g_debug ("after-thaw snapshots took %.1f ms", (g_get_monotonic_time () - after_start) / 1000.0);

  vss_events_send_to (self, vss_events_is_active, VSS_EVENT_POST_SNAPSHOT, NULL);
  self->bcd_writable = FALSE;
  g_clear_pointer (&self->snapshot_lock, vss_snapshot_lock_release);
  t->total_usec = g_get_monotonic_time () - start;
  vss_events_add_step (self, VSS_STEP_SNAPSHOT_DONE);
  return TRUE;
}

/* ---- backup_complete, status ---- */

gboolean
vss_lifecycle_backup_complete (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  self->bcd_writable = FALSE;
  if (!vss_events_send_to (self, vss_events_is_active, VSS_EVENT_BACKUP_COMPLETE, cancellable))
    return vss_events_cancelled ("backup_complete", error);
  vss_events_add_step (self, VSS_STEP_COMPLETED);
  return TRUE;
}

gboolean
vss_lifecycle_gather_status (VssBackupComponents *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) statuses = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_writer_status_free);
  for (guint i = 0; i < self->writers->len; i++)
    g_ptr_array_add (statuses, vss_writer_proxy_get_status (g_ptr_array_index (self->writers, i)));
  g_mutex_lock (&self->lock);
  g_ptr_array_unref (self->statuses);
  self->statuses = g_steal_pointer (&statuses);
  self->steps |= VSS_STEP_STATUS_GATHERED;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ---- ending ---- */

/* Hung writers are sent cleanup without waiting; the others are waited for. */
static void
cleanup_event (VssBackupComponents *self, VssProxyFilter filter, VssEvent event)
{
  g_autoptr(GPtrArray) targets = vss_events_select (self, filter);
  g_autoptr(GPtrArray) responsive = g_ptr_array_new ();
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    g_mutex_lock (&proxy->lock);
    gboolean hung = proxy->hung;
    if (event == VSS_EVENT_THAW)
      proxy->frozen = FALSE;
    if (event == VSS_EVENT_ABORT)
      proxy->aborted = TRUE;
    g_mutex_unlock (&proxy->lock);
    if (hung)
      vss_events_forget (self, proxy, event);
    else
      g_ptr_array_add (responsive, proxy);
  }
  g_ptr_array_unref (vss_events_send (self, responsive, event, NULL, NULL));
}

static void
remove_snapshots (VssBackupComponents *self, gboolean keep_persistent)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (keep_persistent && snapshot->committed && vss_snapshot_context_is_persistent (snapshot->context))
      continue;
    g_autoptr(GError) error = NULL;
    if (!snapshot->provider->remove (snapshot, &error))
      g_warning ("could not delete snapshot %s of %s: %s", snapshot->snapshot_id,
                 snapshot->original_path, error->message);
  }
  vss_snapshot_store_unrecord (self->snapshots);
  g_ptr_array_set_size (self->snapshots, 0);
}

void
vss_lifecycle_abort (VssBackupComponents *self)
{
  self->bcd_writable = FALSE;
  cleanup_event (self, vss_events_is_frozen, VSS_EVENT_THAW);
  cleanup_event (self, vss_events_needs_abort, VSS_EVENT_ABORT);
  remove_snapshots (self, FALSE);
  g_clear_pointer (&self->snapshot_lock, vss_snapshot_lock_release);
  vss_events_add_step (self, VSS_STEP_ABORTED);
}

/* A writer that was aborted gets nothing more, not even shutdown. */
static gboolean
is_involved_not_aborted (VssWriterProxy *proxy)
{
  return proxy->involved && !proxy->aborted;
}

void
vss_lifecycle_shutdown (VssBackupComponents *self)
{
  /* After an abort a writer gets no further event. */
  if ((self->steps & VSS_STEP_PREPARE_STARTED) != 0 && (self->steps & VSS_STEP_ABORTED) == 0)
    cleanup_event (self, is_involved_not_aborted, VSS_EVENT_BACKUP_SHUTDOWN);
  remove_snapshots (self, TRUE);
  g_clear_pointer (&self->snapshot_lock, vss_snapshot_lock_release);
}
