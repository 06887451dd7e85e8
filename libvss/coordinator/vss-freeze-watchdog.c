/* vss-freeze-watchdog.c — thaws writers whose freeze window ran out. */
#include "vss-freeze-watchdog.h"

struct _VssFreezeWatchdog {
  GMutex lock;
  GCond cond;
  gboolean stopping;
  GPtrArray *writers;           /* borrowed VssWriterProxy */
  VssRequestBuilder build;
  gpointer build_data;
  GThread *thread;
};

static gint64
window_end (VssWriterProxy *proxy)
{
  return proxy->freeze_sent_usec + (gint64) proxy->freeze_timeout_ms * 1000;
}

static void
thaw_expired (VssFreezeWatchdog *self, VssWriterProxy *proxy)
{
  vss_dispatch_forget (proxy, VSS_EVENT_THAW, self->build, self->build_data);
  vss_dispatch_forget (proxy, VSS_EVENT_ABORT, self->build, self->build_data);
  vss_writer_proxy_fail (proxy, VSS_EVENT_FREEZE, VSS_WF_TIMEOUT,
                         "%s: freeze: still frozen after its freeze timeout of %u ms; "
                         "the coordinator thawed and aborted it", proxy->name,
                         proxy->freeze_timeout_ms);
}

/* Thaws every writer whose window ended; returns the next deadline, or
 * G_MAXINT64 when no writer is frozen. */
static gint64
check_windows (VssFreezeWatchdog *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 next = G_MAXINT64;
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    g_mutex_lock (&proxy->lock);
    gboolean expired = proxy->frozen && window_end (proxy) <= now;
    if (expired) {
      proxy->frozen = FALSE;
      proxy->aborted = TRUE;
    } else if (proxy->frozen) {
      next = MIN (next, window_end (proxy));
    }
    g_mutex_unlock (&proxy->lock);
    if (expired)
      thaw_expired (self, proxy);
  }
  return next;
}

static gpointer
watchdog_thread (gpointer data)
{
  VssFreezeWatchdog *self = data;
  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    g_mutex_unlock (&self->lock);
    gint64 next = check_windows (self);
    g_mutex_lock (&self->lock);
    if (self->stopping)
      break;
    if (next == G_MAXINT64)
      g_cond_wait (&self->cond, &self->lock);
    else
      g_cond_wait_until (&self->cond, &self->lock, next);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

VssFreezeWatchdog *
vss_freeze_watchdog_start (GPtrArray *writers, VssRequestBuilder build, gpointer build_data)
{
  VssFreezeWatchdog *self = g_new0 (VssFreezeWatchdog, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->writers = g_ptr_array_ref (writers);
  self->build = build;
  self->build_data = build_data;
  self->thread = g_thread_new ("vss-freeze-watchdog", watchdog_thread, self);
  return self;
}

void
vss_freeze_watchdog_stop (VssFreezeWatchdog *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  g_ptr_array_unref (self->writers);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
