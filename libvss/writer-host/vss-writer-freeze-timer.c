/* vss-writer-freeze-timer.c — a one-shot deadline on its own thread. */
#include "vss-writer-freeze-timer.h"

struct _VssWriterFreezeTimer {
  GMutex lock;
  GCond cond;
  GThread *thread;
  VssWriterFreezeExpired expired;
  gpointer user_data;
  gint64 deadline;              /* 0: not armed */
  guint64 generation;
  gboolean quit;
};

static gpointer
timer_thread (gpointer data)
{
  VssWriterFreezeTimer *self = data;
  g_mutex_lock (&self->lock);
  while (!self->quit) {
    if (self->deadline == 0) {
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    if (g_get_monotonic_time () < self->deadline) {
      g_cond_wait_until (&self->cond, &self->lock, self->deadline);
      continue;
    }
    guint64 generation = self->generation;
    self->deadline = 0;
    /* Unlocked: @expired may wait for a callback of the writer, and
     * arm/disarm must never wait for @expired. */
    g_mutex_unlock (&self->lock);
    self->expired (self->user_data, generation);
    g_mutex_lock (&self->lock);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

VssWriterFreezeTimer *
vss_writer_freeze_timer_new (VssWriterFreezeExpired expired, gpointer user_data)
{
  VssWriterFreezeTimer *self = g_new0 (VssWriterFreezeTimer, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->expired = expired;
  self->user_data = user_data;
  self->thread = g_thread_new ("vss-freeze-tmr", timer_thread, self);
  return self;
}

void
vss_writer_freeze_timer_free (VssWriterFreezeTimer *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

guint64
vss_writer_freeze_timer_arm (VssWriterFreezeTimer *self, gint64 deadline_usec)
{
  g_mutex_lock (&self->lock);
  guint64 generation = ++self->generation;
  self->deadline = MAX (deadline_usec, 1);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return generation;
}

void
vss_writer_freeze_timer_disarm (VssWriterFreezeTimer *self)
{
  g_mutex_lock (&self->lock);
  self->deadline = 0;
  self->generation++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}
