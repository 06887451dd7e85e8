/* vss-dispatch.c — parallel event delivery with per-writer deadlines. */
#include "vss-dispatch.h"

/* Shared between the waiting thread and the writers' threads; the last
 * one out frees it, so a reply that comes after the wait ended is safe. */
typedef struct {
  gatomicrefcount ref;
  GMutex lock;
  GCond cond;
  gboolean abandoned;
  VssEventReply **replies;
  guint n_targets;
} Dispatch;

typedef struct {
  Dispatch *dispatch;
  guint index;
} Slot;

static void
dispatch_unref (Dispatch *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  for (guint i = 0; i < self->n_targets; i++)
    g_clear_pointer (&self->replies[i], vss_event_reply_free);
  g_free (self->replies);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static void
on_reply (VssEventReply *reply, gpointer user_data)
{
  Slot *slot = user_data;
  Dispatch *self = slot->dispatch;
  g_mutex_lock (&self->lock);
  if (self->abandoned || self->replies[slot->index] != NULL)
    vss_event_reply_free (reply);
  else
    self->replies[slot->index] = reply;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_free (slot);
  dispatch_unref (self);
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Dispatch *self = user_data;
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* The earliest deadline of a target that has neither answered nor run
 * out of time, or 0 when there is none left to wait for. */
static gint64
next_deadline (Dispatch *self, const gint64 *deadlines, gint64 now)
{
  gint64 next = 0;
  for (guint i = 0; i < self->n_targets; i++) {
    if (self->replies[i] != NULL || deadlines[i] <= now)
      continue;
    if (next == 0 || deadlines[i] < next)
      next = deadlines[i];
  }
  return next;
}

/* Waits until every target answered or passed its own deadline. */
static void
wait_for_replies (Dispatch *self, const gint64 *deadlines, GCancellable *cancellable)
{
  g_mutex_lock (&self->lock);
  while (!g_cancellable_is_cancelled (cancellable)) {
    gint64 next = next_deadline (self, deadlines, g_get_monotonic_time ());
    if (next == 0)
      break;
    g_cond_wait_until (&self->cond, &self->lock, next);
  }
  self->abandoned = TRUE;
  g_mutex_unlock (&self->lock);
}

static VssEventReply *
missing_reply (VssWriterProxy *proxy, VssEvent event, guint timeout_ms, gboolean cancelled)
{
  if (cancelled)
    return vss_event_reply_new_failure (VSS_WF_RETRYABLE, "%s: %s: cancelled by the requester",
                                        proxy->name, vss_event_to_string (event));
  g_mutex_lock (&proxy->lock);
  proxy->hung = TRUE;
  g_mutex_unlock (&proxy->lock);
  return vss_event_reply_new_failure (VSS_WF_NOT_RESPONDING,
                                      "%s: %s: did not answer within %u ms",
                                      proxy->name, vss_event_to_string (event), timeout_ms);
}

GPtrArray *
vss_dispatch_event (GPtrArray *targets, VssEvent event,
                    VssRequestBuilder build, gpointer build_data,
                    const guint *timeouts_ms, GCancellable *cancellable,
                    gboolean *out_cancelled)
{
  Dispatch *self = g_new0 (Dispatch, 1);
  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->n_targets = targets->len;
  self->replies = g_new0 (VssEventReply *, targets->len);

  gint64 start = g_get_monotonic_time ();
  g_autofree gint64 *deadlines = g_new0 (gint64, targets->len);
  for (guint i = 0; i < targets->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (targets, i);
    Slot *slot = g_new0 (Slot, 1);
    slot->dispatch = self;
    slot->index = i;
    g_atomic_ref_count_inc (&self->ref);
    json_object *request = build (proxy, event, build_data);
    vss_transport_send (proxy->transport, event, request, on_reply, slot);
    json_object_put (request);
    deadlines[i] = start + (gint64) timeouts_ms[i] * 1000;
  }

  gulong handler = cancellable != NULL
                       ? g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL)
                       : 0;
  wait_for_replies (self, deadlines, cancellable);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);

  gboolean cancelled = g_cancellable_is_cancelled (cancellable);
  GPtrArray *replies = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_event_reply_free);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < targets->len; i++) {
    VssEventReply *reply = g_steal_pointer (&self->replies[i]);
    if (reply == NULL)
      reply = missing_reply (g_ptr_array_index (targets, i), event, timeouts_ms[i], cancelled);
    g_ptr_array_add (replies, reply);
  }
  g_mutex_unlock (&self->lock);
  dispatch_unref (self);
  if (out_cancelled != NULL)
    *out_cancelled = cancelled;
  return replies;
}

static void
discard_reply (VssEventReply *reply, gpointer user_data)
{
  vss_event_reply_free (reply);
}

/* Any answer counts, a failure too: the writer (or its process) is done. */
static void
note_abort_answered (VssEventReply *reply, gpointer user_data)
{
  VssAbortAnswer *answer = user_data;
  g_atomic_int_set (&answer->answered, TRUE);
  vss_abort_answer_unref (answer);
  vss_event_reply_free (reply);
}

void
vss_dispatch_forget (VssWriterProxy *target, VssEvent event,
                     VssRequestBuilder build, gpointer build_data)
{
  json_object *request = build (target, event, build_data);
  /* Only a writer whose process can be ended is waited for: a thread of
   * ours that does not answer can only be left to its own timer. */
  if (event == VSS_EVENT_ABORT && target->transport->klass->kill != NULL) {
    g_mutex_lock (&target->lock);
    target->kill_deadline_usec = g_get_monotonic_time () + (gint64) vss_writer_host_grace_ms () * 1000;
    VssAbortAnswer *answer = vss_abort_answer_ref (target->abort_answer);
    g_mutex_unlock (&target->lock);
    vss_transport_send (target->transport, event, request, note_abort_answered, answer);
  } else {
    vss_transport_send (target->transport, event, request, discard_reply, NULL);
  }
  json_object_put (request);
}
