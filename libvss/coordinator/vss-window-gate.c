/* vss-window-gate.c — the requester's hook inside the freeze window.
 *
 * A cluster snapshot freezes every host together (FREEZE, once each is
 * prepared), needs every host frozen before any host commits
 * (and every host committed before any thaws); the hook lets a requester
 * wait for that without splitting do_snapshot_set.  The gate gets the
 * deadline of the earliest writer window, so it can give up before any
 * writer's own freeze timeout ends. */
#include "vss-backup-components-private.h"
#include "vss-state-private.h"

gboolean
vss_backup_components_set_window_gate (VssBackupComponents *self, VssWindowGateFunc func,
                                       gpointer user_data, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  gboolean ok = vss_backup_components_check_idle (self, error);
  if (ok && (self->steps & VSS_STEP_SNAPSHOT_STARTED) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "set_window_gate: do_snapshot_set has already started");
    ok = FALSE;
  }
  if (ok) {
    self->window_gate = func;
    self->window_gate_data = user_data;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* The earliest end of a frozen writer's window; a second from now when
 * nothing is frozen (a set with no writers still has a barrier). */
static gint64
earliest_window_end (VssBackupComponents *self)
{
  gint64 end = G_MAXINT64;
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    g_mutex_lock (&proxy->lock);
    if (proxy->frozen)
      end = MIN (end, proxy->freeze_sent_usec + (gint64) proxy->freeze_timeout_ms * 1000);
    g_mutex_unlock (&proxy->lock);
  }
  if (end == G_MAXINT64)
    end = g_get_monotonic_time () + (gint64) self->hold_timeout_ms * 1000;
  return end;
}

gboolean
vss_window_gate_pass (VssBackupComponents *self, VssWindowGatePoint point, GError **error)
{
  if (self->window_gate == NULL)
    return TRUE;
  GError *local = NULL;
  gint64 deadline = point == VSS_WINDOW_GATE_FREEZE ? G_MAXINT64 : earliest_window_end (self);
  if (self->window_gate (self, point, deadline, self->window_gate_data, &local))
    return TRUE;
  if (local == NULL)
    local = g_error_new (VSS_ERROR, VSS_ERROR_UNEXPECTED, "window gate (%s) failed without saying why",
                         point == VSS_WINDOW_GATE_FREEZE ? "freeze"
                         : point == VSS_WINDOW_GATE_COMMIT ? "commit" : "thaw");
  g_propagate_error (error, local);
  return FALSE;
}
