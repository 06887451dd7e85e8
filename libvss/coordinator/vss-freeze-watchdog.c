/* vss-freeze-watchdog.c — thaws writers whose freeze window ran out, and
 * ends those that do not answer the abort that follows. */
#include "vss-freeze-watchdog.h"

#define POLL_USEC (50 * 1000)

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

/* The abort after a missed deadline was not answered within the grace:
 * the writer's process goes (a stopped or hung helper keeps its
 * application frozen otherwise), and is reaped before we go on. */
static void
kill_unanswered (VssWriterProxy *proxy)
{
  g_warning ("writer %s: no answer to abort within %u ms after its freeze window; killing its "
             "process", proxy->name, vss_writer_host_grace_ms ());
  vss_transport_kill (proxy->transport);
}

/* Called with the proxy's lock held: TRUE when an abort is unanswered. */
static gboolean
abort_pending (VssWriterProxy *proxy)
{
  if (proxy->kill_deadline_usec != 0 && g_atomic_int_get (&proxy->abort_answer->answered))
    proxy->kill_deadline_usec = 0;
  return proxy->kill_deadline_usec != 0;
}

/* Thaws every writer whose window ended and kills those whose abort went
 * unanswered; returns the next deadline, or G_MAXINT64 when none. */
static gint64
check_windows (VssFreezeWatchdog *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 next = G_MAXINT64;
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    g_mutex_lock (&proxy->lock);
    gboolean expired = proxy->frozen && window_end (proxy) <= now;
    gboolean kill_now = !expired && abort_pending (proxy) && proxy->kill_deadline_usec <= now;
    if (expired) {
      proxy->frozen = FALSE;
      proxy->aborted = TRUE;
    } else if (proxy->frozen) {
      next = MIN (next, window_end (proxy));
    }
    if (kill_now)
      proxy->kill_deadline_usec = 0;
    else if (abort_pending (proxy))
      next = MIN (next, proxy->kill_deadline_usec);
    g_mutex_unlock (&proxy->lock);
    if (expired)
      thaw_expired (self, proxy);
    if (kill_now)
      kill_unanswered (proxy);
  }
  return next;
}

static gboolean
any_abort_pending (VssFreezeWatchdog *self)
{
  gboolean pending = FALSE;
  for (guint i = 0; i < self->writers->len && !pending; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    g_mutex_lock (&proxy->lock);
    pending = abort_pending (proxy);
    g_mutex_unlock (&proxy->lock);
  }
  return pending;
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
    /* Aborts sent by the coordinator's thread start deadlines without
     * telling us: look again at least every POLL_USEC. */
    g_cond_wait_until (&self->cond, &self->lock, MIN (next, g_get_monotonic_time () + POLL_USEC));
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
vss_freeze_watchdog_finish (VssFreezeWatchdog *self)
{
  if (self == NULL)
    return;
  /* Each pending abort is answered or its writer killed by its deadline;
   * the margin covers the thread's own delay (a kill waits for a reap). */
  gint64 give_up = g_get_monotonic_time () + (gint64) (vss_writer_host_grace_ms () + 2000) * 1000;
  while (any_abort_pending (self) && g_get_monotonic_time () < give_up)
    g_usleep (10 * 1000);
  vss_freeze_watchdog_stop (self);
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
