/* vss-backup-events.c — building writer requests, applying replies, and
 * sending an event to the writers a step concerns. */
#include "vss-backup-events.h"
#include "util/vss-log.h"

/* ---- requests and replies ---- */

static json_object *
snapshots_to_json (VssBackupComponents *self)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (!snapshot->committed)
      continue;
    json_object *obj = json_object_new_object ();
    vss_json_add_string (obj, "original_path", snapshot->original_path);
    vss_json_add_string (obj, "snapshot_path", snapshot->snapshot_path);
    json_object_array_add (array, obj);
  }
  return array;
}

/* Whether every snapshot of the set is taken at one instant (btrfs,
 * fsfreeze) rather than file by file (reflink, copy); FALSE for an empty
 * set.  The providers are chosen by add_to_snapshot_set, before any event
 * that carries it. */
static gboolean
snapshots_are_atomic (VssBackupComponents *self)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (snapshot->provider == NULL || !snapshot->provider->atomic)
      return FALSE;
  }
  return self->snapshots->len > 0;
}

/* Snapshot paths are only read once the set is committed: the watchdog
 * builds requests while a commit may still be filling them in. */
static gboolean
event_sees_snapshots (VssEvent event)
{
  return event == VSS_EVENT_POST_SNAPSHOT || event == VSS_EVENT_BACKUP_COMPLETE ||
         event == VSS_EVENT_BACKUP_SHUTDOWN;
}

/* Thaw and abort may be built by the freeze watchdog while replies are
 * being merged into the document: they carry no components. */
static gboolean
carries_components (VssEvent event)
{
  return event != VSS_EVENT_THAW && event != VSS_EVENT_ABORT;
}

json_object *
vss_events_build_request (VssWriterProxy *proxy, VssEvent event, gpointer user_data)
{
  VssBackupComponents *self = user_data;
  const VssDocument *doc = self->document;
  json_object *request = json_object_new_object ();
  vss_json_add_string (request, "event", vss_event_to_string (event));
  vss_json_add_string (request, "writer_id", proxy->writer_id);
  vss_json_add_string (request, "instance_id", proxy->instance_id);
  vss_json_add_string (request, "backup_type", vss_backup_type_to_string (doc->backup_type));
  vss_json_add_string (request, "context", vss_snapshot_context_to_string (doc->context));
  json_object_object_add (request, "select_components", json_object_new_boolean (doc->select_components));
  json_object_object_add (request, "bootable_state", json_object_new_boolean (doc->bootable_state));
  json_object_object_add (request, "partial_file_support",
                          json_object_new_boolean (doc->partial_file_support));
  vss_json_add_string (request, "snapshot_set_id", doc->snapshot_set_id);
  if (doc->writer_images)
    json_object_object_add (request, "writer_images", json_object_new_boolean (TRUE));
  if (event_sees_snapshots (event))
    json_object_object_add (request, "snapshots", snapshots_to_json (self));
  json_object_object_add (request, "snapshot_atomic", json_object_new_boolean (snapshots_are_atomic (self)));
  VssBcdWriter *writer = carries_components (event) ? vss_state_bcd_writer (self, proxy) : NULL;
  if (writer != NULL)
    json_object_object_add (request, "components", vss_components_to_json_array (writer->components));
  json_object_object_add (request, "writable", json_object_new_boolean (self->bcd_writable));
  return request;
}

static void
accept_metadata (VssBackupComponents *self, VssWriterProxy *proxy, VssEventReply *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssWriterMetadata) metadata =
      reply->metadata != NULL ? vss_writer_metadata_from_json_object (reply->metadata, "metadata", &error)
                              : NULL;
  if (metadata == NULL || g_strcmp0 (metadata->writer_id, proxy->writer_id) != 0) {
    vss_writer_proxy_fail (proxy, VSS_EVENT_IDENTIFY, VSS_WF_NONRETRYABLE,
                           "%s: identify: unusable writer metadata: %s", proxy->name,
                           error != NULL ? error->message : "missing or for another writer id");
    return;
  }
  vss_writer_metadata_seal (metadata);
  proxy->metadata = g_steal_pointer (&metadata);
  g_ptr_array_add (self->metadata, proxy->metadata);
}

/* A writer may change its components' fields, never which components
 * there are. */
static void
accept_components (VssBackupComponents *self, VssWriterProxy *proxy, VssEventReply *reply)
{
  VssBcdWriter *writer = vss_state_bcd_writer (self, proxy);
  if (writer == NULL || reply->components == NULL || !self->bcd_writable)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) components = vss_components_from_json_array (reply->components, "components", &error);
  gboolean same = components != NULL && components->len == writer->components->len;
  for (guint i = 0; same && i < components->len; i++) {
    const VssComponent *old = g_ptr_array_index (writer->components, i);
    same = vss_component_matches (g_ptr_array_index (components, i), old->type,
                                  old->logical_path, old->name);
  }
  if (!same) {
    vss_log_writer_event (G_LOG_LEVEL_WARNING, proxy->name, NULL, self->document->snapshot_set_id,
                          "writer %s changed the set of its components in the Backup Components "
                          "Document; its changes are ignored%s%s", proxy->name,
                          error != NULL ? ": " : "", error != NULL ? error->message : "");
    return;
  }
  vss_bcd_writer_set_components (writer, g_steal_pointer (&components));
}

static void
apply_reply (VssBackupComponents *self, VssWriterProxy *proxy, VssEvent event, VssEventReply *reply)
{
  vss_writer_proxy_record (proxy, event, reply);
  if (event == VSS_EVENT_IDENTIFY && reply->ok)
    accept_metadata (self, proxy, reply);
  else if (reply->ok && carries_components (event))
    accept_components (self, proxy, reply);
}

/* ---- choosing targets and sending ---- */

gboolean
vss_events_is_identified (VssWriterProxy *p)
{
  return p->metadata != NULL && !p->vetoed;
}

gboolean
vss_events_is_active (VssWriterProxy *p)
{
  return p->involved && !p->vetoed;
}

gboolean
vss_events_is_frozen (VssWriterProxy *p)
{
  return p->frozen;
}

gboolean
vss_events_needs_abort (VssWriterProxy *p)
{
  return p->prepared && !p->aborted;
}

GPtrArray *
vss_events_select (VssBackupComponents *self, VssProxyFilter filter)
{
  GPtrArray *targets = g_ptr_array_new ();
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    g_mutex_lock (&proxy->lock);
    gboolean take = filter (proxy);
    g_mutex_unlock (&proxy->lock);
    if (take)
      g_ptr_array_add (targets, proxy);
  }
  return targets;
}

/* A thaw is answered within the writer's freeze window or not at all:
 * by then the writer has aborted by itself (vss-writer.c). */
static guint
thaw_timeout (VssBackupComponents *self, VssWriterProxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  gint64 end = proxy->freeze_sent_usec + (gint64) proxy->freeze_timeout_ms * 1000;
  gboolean windowed = proxy->freeze_sent_usec != 0;
  g_mutex_unlock (&proxy->lock);
  if (!windowed)
    return self->event_timeout_ms;
  gint64 left_ms = (end - g_get_monotonic_time ()) / 1000;
  return (guint) CLAMP (left_ms, 1, (gint64) self->event_timeout_ms);
}

static guint
event_timeout (VssBackupComponents *self, VssWriterProxy *proxy, VssEvent event)
{
  if (event == VSS_EVENT_FREEZE)
    return MIN (self->event_timeout_ms, proxy->freeze_timeout_ms);
  if (event == VSS_EVENT_THAW)
    return thaw_timeout (self, proxy);
  return self->event_timeout_ms;
}

/* Sends @event to @targets and applies the replies; returns the replies
 * (in target order) for callers that look at them, and whether the
 * wait was cancelled. */
GPtrArray *
vss_events_send (VssBackupComponents *self, GPtrArray *targets, VssEvent event,
            GCancellable *cancellable, gboolean *out_cancelled)
{
  g_autofree guint *timeouts = g_new0 (guint, MAX (targets->len, 1));
  for (guint i = 0; i < targets->len; i++)
    timeouts[i] = event_timeout (self, g_ptr_array_index (targets, i), event);
  GPtrArray *replies = vss_dispatch_event (targets, event, vss_events_build_request, self, timeouts,
                                           cancellable, out_cancelled);
  for (guint i = 0; i < targets->len; i++)
    apply_reply (self, g_ptr_array_index (targets, i), event, g_ptr_array_index (replies, i));
  return replies;
}

gboolean
vss_events_send_to (VssBackupComponents *self, VssProxyFilter filter, VssEvent event, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) targets = vss_events_select (self, filter);
  gboolean cancelled = FALSE;
  g_autoptr(GPtrArray) replies = vss_events_send (self, targets, event, cancellable, &cancelled);
  return !cancelled;
}

/* Cleanup events to one writer without waiting for it. */
void
vss_events_forget (VssBackupComponents *self, VssWriterProxy *proxy, VssEvent event)
{
  vss_dispatch_forget (proxy, event, vss_events_build_request, self);
}

gboolean
vss_events_cancelled (const char *call, GError **error)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "%s was cancelled", call);
  return FALSE;
}

void
vss_events_add_step (VssBackupComponents *self, VssStep step)
{
  g_mutex_lock (&self->lock);
  self->steps |= step;
  g_mutex_unlock (&self->lock);
}
