/* test-event.c — event names and the reply's JSON form. */
#include <criterion/criterion.h>
#include <string.h>

#include "wh-test.h"

Test (event, names_round_trip)
{
  static const char *const names[] = {
    "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
    "backup_complete", "backup_shutdown", "abort", "pre_restore", "post_restore",
  };
  cr_assert_eq (G_N_ELEMENTS (names), VSS_EVENT_COUNT);
  for (int e = 0; e < VSS_EVENT_COUNT; e++) {
    VssEvent back = VSS_EVENT_COUNT;
    cr_assert_str_eq (vss_event_to_string ((VssEvent) e), names[e]);
    cr_assert (vss_event_from_string (names[e], &back));
    cr_assert_eq ((int) back, e);
  }
}

Test (event, unknown_names_are_refused)
{
  VssEvent out = VSS_EVENT_THAW;
  cr_assert_null (vss_event_to_string (VSS_EVENT_COUNT));
  cr_assert_not (vss_event_from_string ("Freeze", &out));
  cr_assert_not (vss_event_from_string ("prepare-backup", &out));
  cr_assert_not (vss_event_from_string (NULL, &out));
  cr_assert_eq (out, VSS_EVENT_THAW);
}

Test (event, abort_is_needed_from_prepare_backup_to_post_snapshot)
{
  static const VssEvent backup[] = {
    VSS_EVENT_IDENTIFY, VSS_EVENT_PREPARE_BACKUP, VSS_EVENT_PREPARE_SNAPSHOT, VSS_EVENT_FREEZE,
    VSS_EVENT_THAW, VSS_EVENT_POST_SNAPSHOT, VSS_EVENT_BACKUP_COMPLETE,
  };
  static const gboolean needed_after[] = { FALSE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE };
  gboolean needed = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (backup); i++) {
    needed = vss_event_leaves_abort_needed (backup[i], needed);
    cr_assert_eq (needed, needed_after[i], "after %s", vss_event_to_string (backup[i]));
  }
  cr_assert_not (vss_event_leaves_abort_needed (VSS_EVENT_ABORT, TRUE));
  cr_assert_not (vss_event_leaves_abort_needed (VSS_EVENT_BACKUP_SHUTDOWN, TRUE));
  cr_assert (vss_event_leaves_abort_needed (VSS_EVENT_PRE_RESTORE, TRUE));
}

Test (event, reply_new_and_failure)
{
  g_autoptr(VssEventReply) ok = vss_event_reply_new ();
  g_autoptr(VssEventReply) failed =
    vss_event_reply_new_failure (VSS_WF_OUT_OF_RESOURCES, "%s: %s: %d MiB short", "db", "freeze", 12);
  cr_assert (ok->ok);
  cr_assert_eq (ok->failure, VSS_WF_NONE);
  cr_assert_null (ok->message);
  cr_assert_not (failed->ok);
  cr_assert_eq (failed->failure, VSS_WF_OUT_OF_RESOURCES);
  cr_assert_str_eq (failed->message, "db: freeze: 12 MiB short");
}

Test (event, plain_success_is_just_ok)
{
  g_autoptr(VssEventReply) reply = vss_event_reply_new ();
  json_object *obj = vss_event_reply_to_json (reply);
  cr_assert_str_eq (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN), "{\"ok\":true}");
  json_object_put (obj);
}

Test (event, reply_json_round_trip)
{
  g_autoptr(VssEventReply) reply = vss_event_reply_new ();
  g_autoptr(GError) error = NULL;
  reply->ok = TRUE;
  reply->failure = VSS_WF_RETRYABLE;
  reply->message = g_strdup ("recorder: thaw: slow");
  reply->metadata = json_object_new_object ();
  json_object_object_add (reply->metadata, "writer_name", json_object_new_string ("recorder"));
  reply->components = json_object_new_array ();
  json_object_array_add (reply->components, json_object_new_object ());

  json_object *obj = vss_event_reply_to_json (reply);
  /* The JSON text crosses a process boundary in other transports. */
  json_object *parsed = json_tokener_parse (json_object_to_json_string (obj));
  g_autoptr(VssEventReply) back = vss_event_reply_from_json (parsed, &error);
  json_object_put (obj);
  json_object_put (parsed);

  cr_assert_null (error, "%s", error ? error->message : "");
  cr_assert (back->ok);
  cr_assert_eq (back->failure, VSS_WF_RETRYABLE);
  cr_assert_str_eq (back->message, "recorder: thaw: slow");
  cr_assert_str_eq (json_object_get_string (json_object_object_get (back->metadata, "writer_name")),
                    "recorder");
  cr_assert_eq (json_object_array_length (back->components), 1);
}

static void
assert_refused (const char *text, const char *expect)
{
  g_autoptr(GError) error = NULL;
  json_object *obj = json_tokener_parse (text);
  VssEventReply *reply = vss_event_reply_from_json (obj, &error);
  if (obj != NULL)
    json_object_put (obj);
  cr_assert_null (reply, "%s accepted", text);
  cr_assert (strstr (error->message, expect) != NULL, "\"%s\" lacks \"%s\"", error->message, expect);
}

Test (event, bad_replies_are_refused)
{
  assert_refused ("[]", "not a JSON object");
  assert_refused ("{}", "ok");
  assert_refused ("{\"ok\": 1}", "ok");
  assert_refused ("{\"ok\": false, \"failure\": \"grumpy\"}", "grumpy");
  assert_refused ("{\"ok\": true, \"components\": {}}", "components");
  assert_refused ("{\"ok\": true, \"metadata\": []}", "metadata");
}
