/* vss-event.c — writer event names and the reply a writer sends back.
 *
 * The reply crosses transports as JSON:
 *   { "ok": true, "failure": "retryable", "message": "…",
 *     "metadata": { …writer metadata… }, "components": [ … ] }
 * "failure", "message", "metadata" and "components" are left out when
 * there is none, so a plain success is just { "ok": true }. */
#include "vss-transport.h"

#include <stdarg.h>

#include "document/vss-document-private.h"

static const char *const event_names[VSS_EVENT_COUNT] = {
  [VSS_EVENT_IDENTIFY] = "identify",
  [VSS_EVENT_PREPARE_BACKUP] = "prepare_backup",
  [VSS_EVENT_PREPARE_SNAPSHOT] = "prepare_snapshot",
  [VSS_EVENT_FREEZE] = "freeze",
  [VSS_EVENT_THAW] = "thaw",
  [VSS_EVENT_POST_SNAPSHOT] = "post_snapshot",
  [VSS_EVENT_BACKUP_COMPLETE] = "backup_complete",
  [VSS_EVENT_BACKUP_SHUTDOWN] = "backup_shutdown",
  [VSS_EVENT_ABORT] = "abort",
  [VSS_EVENT_PRE_RESTORE] = "pre_restore",
  [VSS_EVENT_POST_RESTORE] = "post_restore",
};

const char *
vss_event_to_string (VssEvent event)
{
  if ((int) event < 0 || event >= VSS_EVENT_COUNT)
    return NULL;
  return event_names[event];
}

gboolean
vss_event_from_string (const char *str, VssEvent *out)
{
  if (str == NULL)
    return FALSE;
  for (int i = 0; i < VSS_EVENT_COUNT; i++) {
    if (g_str_equal (str, event_names[i])) {
      if (out != NULL)
        *out = (VssEvent) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
vss_event_leaves_abort_needed (VssEvent event, gboolean needed)
{
  if (event == VSS_EVENT_PREPARE_BACKUP)
    return TRUE;
  if (event == VSS_EVENT_POST_SNAPSHOT || event == VSS_EVENT_ABORT ||
      event == VSS_EVENT_BACKUP_SHUTDOWN)
    return FALSE;
  return needed;
}

VssEventReply *
vss_event_reply_new (void)
{
  VssEventReply *reply = g_new0 (VssEventReply, 1);
  reply->ok = TRUE;
  reply->failure = VSS_WF_NONE;
  return reply;
}

VssEventReply *
vss_event_reply_new_failure (VssWriterFailure failure, const char *format, ...)
{
  VssEventReply *reply = vss_event_reply_new ();
  va_list args;
  reply->ok = FALSE;
  reply->failure = failure;
  va_start (args, format);
  reply->message = g_strdup_vprintf (format, args);
  va_end (args);
  return reply;
}

void
vss_event_reply_free (VssEventReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->message);
  if (reply->metadata != NULL)
    json_object_put (reply->metadata);
  if (reply->components != NULL)
    json_object_put (reply->components);
  g_free (reply);
}

json_object *
vss_event_reply_to_json (const VssEventReply *reply)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "ok", json_object_new_boolean (reply->ok));
  if (reply->failure != VSS_WF_NONE)
    vss_json_add_string (obj, "failure", vss_writer_failure_to_string (reply->failure));
  vss_json_add_string (obj, "message", reply->message);
  /* The reply keeps its own references: the JSON may outlive it. */
  if (reply->metadata != NULL)
    json_object_object_add (obj, "metadata", json_object_get (reply->metadata));
  if (reply->components != NULL)
    json_object_object_add (obj, "components", json_object_get (reply->components));
  if (reply->freeze_timeout_ms != 0)
    json_object_object_add (obj, "freeze_timeout_ms", json_object_new_int64 (reply->freeze_timeout_ms));
  if (reply->not_configured)
    json_object_object_add (obj, "not_configured", json_object_new_boolean (TRUE));
  return obj;
}

VssEventReply *
vss_event_reply_from_json (json_object *obj, GError **error)
{
  g_autoptr(VssEventReply) reply = vss_event_reply_new ();
  g_autofree char *failure = NULL;
  json_object *metadata = NULL;
  json_object *components = NULL;
  gint64 freeze_timeout_ms = 0;

  if (obj == NULL || !json_object_is_type (obj, json_type_object)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "reply: not a JSON object");
    return NULL;
  }
  if (!vss_json_read_bool (obj, "reply", "ok", TRUE, &reply->ok, error) ||
      !vss_json_read_string (obj, "reply", "failure", FALSE, &failure, error) ||
      !vss_json_read_string (obj, "reply", "message", FALSE, &reply->message, error) ||
      !vss_json_read_object (obj, "reply", "metadata", FALSE, &metadata, error) ||
      !vss_json_read_array (obj, "reply", "components", FALSE, &components, error) ||
      !vss_json_read_int64 (obj, "reply", "freeze_timeout_ms", FALSE, &freeze_timeout_ms, error) ||
      !vss_json_read_bool (obj, "reply", "not_configured", FALSE, &reply->not_configured, error))
    return NULL;
  reply->freeze_timeout_ms = (guint) CLAMP (freeze_timeout_ms, 0, G_MAXUINT32);
  if (failure != NULL && !vss_writer_failure_from_string (failure, &reply->failure)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "reply.failure: unknown writer failure \"%s\"", failure);
    return NULL;
  }
  if (metadata != NULL)
    reply->metadata = json_object_get (metadata);
  if (components != NULL)
    reply->components = json_object_get (components);
  return g_steal_pointer (&reply);
}
