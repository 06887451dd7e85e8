/* vss-operation.c — running the long calls on a worker thread, for the
 * VssAsync form and for the GTask (_async/_finish) form alike. */
#include "vss-backup-components-private.h"
#include "vss-async-private.h"

typedef struct {
  VssBackupComponents *self;
  VssOperationFunc func;
  GCancellable *cancellable;
  VssAsync *async;              /* VssAsync form only */
} Operation;

static void
operation_free (Operation *op)
{
  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->async, vss_async_unref);
  g_free (op);
}

/* Under the lock: refuse when another call runs, check the call's own
 * preconditions, then mark it running. */
static gboolean
begin (VssBackupComponents *self, const char *name, VssCheckFunc check,
       GCancellable *cancellable, GError **error)
{
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error) && check (self, error);
  if (ok) {
    self->operation = name;
    g_set_object (&self->operation_cancellable, cancellable);
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
end (VssBackupComponents *self)
{
  g_mutex_lock (&self->lock);
  self->operation = NULL;
  g_clear_object (&self->operation_cancellable);
  g_cond_broadcast (&self->operation_done);
  g_mutex_unlock (&self->lock);
}

/* Runs the call's work and marks it ended; its error, or NULL. */
static GError *
run_operation (Operation *op, GCancellable *cancellable)
{
  GError *error = NULL;
  if (!op->func (op->self, cancellable, &error) && error == NULL)
    g_set_error_literal (&error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "operation failed without a reason");
  end (op->self);
  return error;
}

static gpointer
operation_thread (gpointer data)
{
  Operation *op = data;
  vss_async_complete (op->async, run_operation (op, op->cancellable));
  operation_free (op);
  return NULL;
}

/* A finished worker is joined before the next starts, so at most one is
 * ever outstanding. */
static void
join_previous (VssBackupComponents *self)
{
  if (self->operation_thread != NULL)
    g_thread_join (g_steal_pointer (&self->operation_thread));
}

gboolean
vss_backup_components_run (VssBackupComponents *self, const char *name,
                           VssCheckFunc check, VssOperationFunc func,
                           VssAsync **out_async, GError **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  if (!begin (self, name, check, cancellable, error))
    return FALSE;
  join_previous (self);
  Operation *op = g_new0 (Operation, 1);
  op->self = self;
  op->func = func;
  op->cancellable = g_object_ref (cancellable);
  op->async = vss_async_new (cancellable);
  *out_async = vss_async_ref (op->async);
  g_autofree char *thread_name = g_strdup_printf ("vss-%s", name);
  self->operation_thread = g_thread_new (thread_name, operation_thread, op);
  return TRUE;
}

static void
task_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = run_operation (task_data, cancellable);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
vss_backup_components_run_task (VssBackupComponents *self, const char *name,
                                VssCheckFunc check, VssOperationFunc func,
                                gpointer source_tag, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GCancellable) own = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  g_autoptr(GTask) task = g_task_new (NULL, own, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, name);
  GError *error = NULL;
  if (!begin (self, name, check, own, &error)) {
    g_task_return_error (task, error);
    return;
  }
  Operation *op = g_new0 (Operation, 1);
  op->self = self;
  op->func = func;
  g_task_set_task_data (task, op, (GDestroyNotify) operation_free);
  g_task_run_in_thread (task, task_thread);
}

gboolean
vss_backup_components_task_finish (VssBackupComponents *self, GAsyncResult *result,
                                   gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vss_backup_components_stop_operation (VssBackupComponents *self)
{
  g_mutex_lock (&self->lock);
  if (self->operation != NULL && self->operation_cancellable != NULL)
    g_cancellable_cancel (self->operation_cancellable);
  while (self->operation != NULL)
    g_cond_wait (&self->operation_done, &self->lock);
  g_mutex_unlock (&self->lock);
  join_previous (self);
}
