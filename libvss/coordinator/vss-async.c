/* vss-async.c — VssAsync: where a long call stands, waiting, cancelling. */
#include "vss-async-private.h"

#include <vss/vss-error.h>

struct _VssAsync {
  gatomicrefcount ref;
  GMutex lock;
  GCond cond;
  VssAsyncStatus status;
  GError *error;
  GCancellable *cancellable;
};

VssAsync *
vss_async_new (GCancellable *cancellable)
{
  VssAsync *self = g_new0 (VssAsync, 1);
  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->status = VSS_ASYNC_PENDING;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  return self;
}

VssAsync *
vss_async_ref (VssAsync *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
vss_async_unref (VssAsync *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static gboolean
is_cancel_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, VSS_ERROR, VSS_ERROR_CANCELLED);
}

void
vss_async_complete (VssAsync *self, GError *error)
{
  g_mutex_lock (&self->lock);
  g_assert (self->status == VSS_ASYNC_PENDING);
  if (error == NULL)
    self->status = VSS_ASYNC_FINISHED;
  else if (is_cancel_error (error))
    self->status = VSS_ASYNC_CANCELLED;
  else
    self->status = VSS_ASYNC_FAILED;
  self->error = error;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Called with the lock held. */
static VssAsyncStatus
report (VssAsync *self, GError **error)
{
  if (self->status == VSS_ASYNC_FAILED && error != NULL)
    *error = g_error_copy (self->error);
  return self->status;
}

VssAsyncStatus
vss_async_wait (VssAsync *self, gint64 timeout_ms, GError **error)
{
  g_return_val_if_fail (self != NULL, VSS_ASYNC_FAILED);
  gint64 deadline = timeout_ms < 0 ? G_MAXINT64 : g_get_monotonic_time () + timeout_ms * 1000;
  g_mutex_lock (&self->lock);
  while (self->status == VSS_ASYNC_PENDING) {
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  }
  VssAsyncStatus status = report (self, error);
  g_mutex_unlock (&self->lock);
  return status;
}

VssAsyncStatus
vss_async_query_status (VssAsync *self, GError **error)
{
  g_return_val_if_fail (self != NULL, VSS_ASYNC_FAILED);
  g_mutex_lock (&self->lock);
  VssAsyncStatus status = report (self, error);
  g_mutex_unlock (&self->lock);
  return status;
}

VssAsyncStatus
vss_async_cancel (VssAsync *self, GError **error)
{
  g_return_val_if_fail (self != NULL, VSS_ASYNC_FAILED);
  g_cancellable_cancel (self->cancellable);
  return vss_async_wait (self, -1, error);
}
