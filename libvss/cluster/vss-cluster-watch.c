/* vss-cluster-watch.c — a run's keys, kept current by one watch for the
 * whole run, and the barrier waits on them.
 *
 * The watch is opened once, before the freeze window, on its own thread
 * with its own client; at every (re)connect it reads the prefix after
 * the watch is created, so no change is missed.  A barrier inside the
 * window then costs no HTTP request of its own: the waiter sleeps on a
 * condition that the watch thread signals with every change, and the
 * waiter's puts go out at once over its kept-alive connection.  (A
 * watch opened per barrier cost a connection, the watch's creation and a
 * range read before the report could even be sent.) */
#include "vss-cluster-private.h"

#include <string.h>

/* The watch lives as long as its run; this only bounds a thread that
 * nobody stopped. */
#define WATCH_LIFETIME_USEC ((gint64) 48 * 3600 * G_USEC_PER_SEC)

struct _VssRunWatch {
  VssEtcd *etcd;              /* the watch thread's */
  char *prefix;
  GCancellable *stop;
  GThread *thread;

  GMutex lock;
  GCond changed;
  GHashTable *keys;           /* relative key → value */
  GHashTable *seen_usec;      /* relative key → wall-clock µs it was first seen (gint64*) */
  gint64 read_revision;       /* changes up to it are in @keys */
  gboolean synced;            /* the first read is done */
  gboolean ended;             /* the watch gave up (no endpoint answers) */
  char *end_reason;
};

static void
note_seen (VssRunWatch *self, const char *rel)
{
  if (g_hash_table_contains (self->seen_usec, rel))
    return;
  gint64 *at = g_new (gint64, 1);
  *at = g_get_real_time ();
  g_hash_table_insert (self->seen_usec, g_strdup (rel), at);
}

static gboolean
apply_event (const VssEtcdEvent *event, gpointer data)
{
  VssRunWatch *self = data;
  g_mutex_lock (&self->lock);
  if (g_str_has_prefix (event->key, self->prefix) && event->revision > self->read_revision) {
    const char *rel = event->key + strlen (self->prefix);
    if (event->value != NULL) {
      g_hash_table_replace (self->keys, g_strdup (rel), g_strdup (event->value));
      note_seen (self, rel);
    } else {
      g_hash_table_remove (self->keys, rel);
    }
    g_cond_broadcast (&self->changed);
  }
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/* After the watch is created (again): the whole prefix, read afresh. */
static gboolean
read_all (gpointer data, gboolean *stop, GError **error)
{
  VssRunWatch *self = data;
  gint64 revision = 0;
  g_autoptr(GHashTable) full = vss_etcd_range_prefix (self->etcd, self->prefix, &revision, error);
  if (full == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->keys);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, full);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    const char *rel = (char *) k + strlen (self->prefix);
    g_hash_table_insert (self->keys, g_strdup (rel), g_strdup (v));
    note_seen (self, rel);
  }
  self->read_revision = revision;
  self->synced = TRUE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  *stop = FALSE;
  return TRUE;
}

static gpointer
watch_run (gpointer data)
{
  VssRunWatch *self = data;
  g_autoptr(GError) error = NULL;
  vss_etcd_watch_prefix (self->etcd, self->prefix, g_get_monotonic_time () + WATCH_LIFETIME_USEC, self->stop,
                         read_all, apply_event, self, &error);
  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  self->end_reason = g_strdup (error != NULL ? error->message : "the watch ended");
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  return NULL;
}

VssRunWatch *
vss_run_watch_start (const VssClusterConfig *config, const char *prefix, gint64 deadline_usec, GError **error)
{
  VssEtcd *etcd = vss_etcd_new (config, error);
  if (etcd == NULL)
    return NULL;
  VssRunWatch *self = g_new0 (VssRunWatch, 1);
  self->etcd = etcd;
  self->prefix = g_strdup (prefix);
  self->stop = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->seen_usec = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->thread = g_thread_new ("cluster-watch", watch_run, self);
  g_mutex_lock (&self->lock);
  while (!self->synced && !self->ended && g_cond_wait_until (&self->changed, &self->lock, deadline_usec))
    ;
  gboolean synced = self->synced;
  if (!synced)
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_RESPONDING, "etcd: watching %s: %s", prefix,
                 self->ended ? self->end_reason : "not established before the deadline");
  g_mutex_unlock (&self->lock);
  if (!synced)
    g_clear_pointer (&self, vss_run_watch_stop);
  return self;
}

void
vss_run_watch_stop (VssRunWatch *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->stop);
  g_thread_join (self->thread);
  vss_etcd_free (self->etcd);
  g_object_unref (self->stop);
  g_hash_table_unref (self->keys);
  g_hash_table_unref (self->seen_usec);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);
  g_free (self->prefix);
  g_free (self->end_reason);
  g_free (self);
}

gint64
vss_run_watch_seen_usec (VssRunWatch *self, const char *key)
{
  g_mutex_lock (&self->lock);
  gint64 *at = g_hash_table_lookup (self->seen_usec, key);
  gint64 usec = at != NULL ? *at : 0;
  g_mutex_unlock (&self->lock);
  return usec;
}

gboolean
vss_run_watch_wait (VssRunWatch *self, gint64 deadline_usec, VssBarrierCheck check, gpointer data,
                    const char *what, GError **error)
{
  g_autofree char *reason = NULL;
  g_mutex_lock (&self->lock);
  VssBarrierVerdict verdict = check (self->keys, data, &reason);
  gboolean in_time = TRUE;
  while (verdict == VSS_BARRIER_WAIT && !self->ended && in_time) {
    in_time = g_cond_wait_until (&self->changed, &self->lock, deadline_usec);
    verdict = check (self->keys, data, &reason);
  }
  if (verdict == VSS_BARRIER_ABORT)
    g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "cluster backup aborted: %s",
                 reason != NULL ? reason : "no reason given");
  else if (verdict == VSS_BARRIER_WAIT)
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_RESPONDING, "%s: %s", what,
                 self->ended ? self->end_reason : "etcd: nothing came before the deadline");
  g_mutex_unlock (&self->lock);
  return verdict == VSS_BARRIER_DONE;
}
