/* vss-writer-proxy.c — one writer as the coordinator sees it. */
#include "vss-writer-proxy.h"

#include "util/vss-log.h"

VssAbortAnswer *
vss_abort_answer_ref (VssAbortAnswer *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
vss_abort_answer_unref (VssAbortAnswer *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref))
    g_free (self);
}

VssWriterProxy *
vss_writer_proxy_new (const VssWriterModule *module, const char *transport)
{
  VssWriterProxy *self = g_new0 (VssWriterProxy, 1);
  const VssWriterDescriptor *desc = module->identity;
  g_mutex_init (&self->lock);
  self->writer_id = g_strdup (desc->writer_id);
  self->instance_id = g_uuid_string_random ();
  self->name = g_strdup (desc->name);
  self->freeze_timeout_ms = desc->freeze_timeout_ms != 0 ? desc->freeze_timeout_ms
                                                         : VSS_WRITER_DEFAULT_FREEZE_TIMEOUT_MS;
  self->state = VSS_WS_STABLE;
  self->abort_answer = g_new0 (VssAbortAnswer, 1);
  g_atomic_ref_count_init (&self->abort_answer->ref);
  self->transport = vss_transport_new (module, self->instance_id, transport);
  self->host = g_strdup (module->app != NULL ? module->path : self->transport->klass->name);
  return self;
}

void
vss_writer_proxy_free (VssWriterProxy *self)
{
  if (self == NULL)
    return;
  /* close() never blocks: a hung writer's thread frees itself later. */
  if (self->transport != NULL)
    vss_transport_close (self->transport);
  g_clear_pointer (&self->metadata, vss_writer_metadata_free);
  vss_abort_answer_unref (self->abort_answer);
  g_free (self->writer_id);
  g_free (self->instance_id);
  g_free (self->name);
  g_free (self->failure_message);
  g_free (self->host);
  g_free (self->snapshot_set_id);
  g_free (self->not_configured);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static VssWriterState
state_after (VssEvent event, VssWriterState current)
{
  switch (event) {
  case VSS_EVENT_PREPARE_SNAPSHOT:
    return VSS_WS_WAITING_FOR_FREEZE;
  case VSS_EVENT_FREEZE:
    return VSS_WS_WAITING_FOR_THAW;
  case VSS_EVENT_THAW:
    return VSS_WS_WAITING_FOR_POST_SNAPSHOT;
  case VSS_EVENT_POST_SNAPSHOT:
    return VSS_WS_WAITING_FOR_BACKUP_COMPLETE;
  case VSS_EVENT_BACKUP_SHUTDOWN:
    return current == VSS_WS_WAITING_FOR_BACKUP_COMPLETE ? current : VSS_WS_STABLE;
  default:
    return VSS_WS_STABLE;
  }
}

static VssWriterState
failed_state (VssEvent event, VssWriterState current)
{
  switch (event) {
  case VSS_EVENT_IDENTIFY: return VSS_WS_FAILED_AT_IDENTIFY;
  case VSS_EVENT_PREPARE_BACKUP: return VSS_WS_FAILED_AT_PREPARE_BACKUP;
  case VSS_EVENT_PREPARE_SNAPSHOT: return VSS_WS_FAILED_AT_PREPARE_SNAPSHOT;
  case VSS_EVENT_FREEZE: return VSS_WS_FAILED_AT_FREEZE;
  case VSS_EVENT_THAW: return VSS_WS_FAILED_AT_THAW;
  case VSS_EVENT_POST_SNAPSHOT: return VSS_WS_FAILED_AT_POST_SNAPSHOT;
  case VSS_EVENT_BACKUP_COMPLETE: return VSS_WS_FAILED_AT_BACKUP_COMPLETE;
  case VSS_EVENT_BACKUP_SHUTDOWN: return VSS_WS_FAILED_AT_BACKUPSHUTDOWN;
  case VSS_EVENT_PRE_RESTORE: return VSS_WS_FAILED_AT_PRE_RESTORE;
  case VSS_EVENT_POST_RESTORE: return VSS_WS_FAILED_AT_POST_RESTORE;
  default: return current;   /* a failed abort leaves the state as it was */
  }
}

static gboolean
is_failed_state (VssWriterState state)
{
  return state >= VSS_WS_FAILED_AT_IDENTIFY;
}

/* Called with the lock held. */
static void
note_failure (VssWriterProxy *self, VssEvent event, VssWriterFailure failure, const char *message)
{
  if (self->failure == VSS_WF_NONE) {
    self->failure = failure;
    self->failure_message = g_strdup (message);
    self->state = failed_state (event, self->state);
  }
  if (message != NULL)
    vss_log_writer_event (vss_log_failure_level (), self->name, vss_event_to_string (event),
                          self->snapshot_set_id, "writer %s failed at %s: %s", self->name,
                          vss_event_to_string (event), message);
}

void
vss_writer_proxy_set_snapshot_set (VssWriterProxy *self, const char *snapshot_set_id)
{
  g_mutex_lock (&self->lock);
  g_free (self->snapshot_set_id);
  self->snapshot_set_id = g_strdup (snapshot_set_id);
  g_mutex_unlock (&self->lock);
}

void
vss_writer_proxy_record (VssWriterProxy *self, VssEvent event, const VssEventReply *reply)
{
  g_mutex_lock (&self->lock);
  /* A writer's configuration may shorten its window (never lengthen). */
  if (reply->freeze_timeout_ms != 0 && reply->freeze_timeout_ms < self->freeze_timeout_ms)
    self->freeze_timeout_ms = reply->freeze_timeout_ms;
  if (reply->not_configured) {
    /* installed, switched off: no part in anything, no failure */
    if (self->not_configured == NULL)
      self->not_configured = g_strdup (reply->message);
    self->vetoed = TRUE;
  } else if (reply->failure != VSS_WF_NONE || !reply->ok)
    note_failure (self, event, reply->failure != VSS_WF_NONE ? reply->failure : VSS_WF_NONRETRYABLE,
                  reply->message);
  else if (!is_failed_state (self->state))
    self->state = state_after (event, self->state);
  if (reply->ok && reply->failure == VSS_WF_NONE)
    vss_log_writer_event (G_LOG_LEVEL_DEBUG, self->name, vss_event_to_string (event),
                          self->snapshot_set_id, "writer %s: %s done", self->name,
                          vss_event_to_string (event));
  if (!reply->ok)
    self->vetoed = TRUE;
  g_mutex_unlock (&self->lock);
}

void
vss_writer_proxy_fail (VssWriterProxy *self, VssEvent event, VssWriterFailure failure,
                       const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&self->lock);
  note_failure (self, event, failure, message);
  self->vetoed = TRUE;
  g_mutex_unlock (&self->lock);
}

void
vss_writer_status_free (VssWriterStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->instance_id);
  g_free (status->writer_id);
  g_free (status->writer_name);
  g_free (status->failure_message);
  g_free (status->host);
  g_free (status->not_configured);
  g_free (status);
}

VssWriterStatus *
vss_writer_status_copy (const VssWriterStatus *status)
{
  VssWriterStatus *copy = g_new0 (VssWriterStatus, 1);
  *copy = *status;
  copy->instance_id = g_strdup (status->instance_id);
  copy->writer_id = g_strdup (status->writer_id);
  copy->writer_name = g_strdup (status->writer_name);
  copy->failure_message = g_strdup (status->failure_message);
  copy->host = g_strdup (status->host);
  copy->not_configured = g_strdup (status->not_configured);
  return copy;
}

VssWriterStatus *
vss_writer_proxy_get_status (VssWriterProxy *self)
{
  VssWriterStatus *status = g_new0 (VssWriterStatus, 1);
  g_mutex_lock (&self->lock);
  status->instance_id = g_strdup (self->instance_id);
  status->writer_id = g_strdup (self->writer_id);
  status->writer_name = g_strdup (self->name);
  status->state = self->state;
  status->failure = self->failure;
  status->failure_message = g_strdup (self->failure_message);
  status->host = g_strdup (self->host);
  status->not_configured = g_strdup (self->not_configured);
  g_mutex_unlock (&self->lock);
  return status;
}
