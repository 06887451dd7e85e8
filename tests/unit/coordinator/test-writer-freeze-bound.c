/* The writer side bounds its own freeze (vss-writer.c): with no thaw or
 * abort within the declared freeze timeout, on_abort runs on the runner's
 * timer thread; the late thaw then fails with VSS_WF_TIMEOUT without
 * reaching on_thaw, and the abort that follows is not run twice.  Driven
 * straight through the runner, as every transport does, with nobody
 * else (no coordinator) to thaw. */
#include "lifecycle-fixture.h"

#include <string.h>

#include "writer-host/vss-writer-module.h"

TestSuite (writer_freeze_bound, .init = fx_setup, .fini = fx_teardown, .timeout = 30);

static VssWriter *
load_writer (const char *name)
{
  g_autofree char *path = vss_test_writer_module_path (name);
  g_autoptr(GError) error = NULL;
  const VssWriterModule *module = vss_writer_module_load (path, &error);
  cr_assert_not_null (module, "%s", error != NULL ? error->message : "");
  VssWriter *writer = vss_writer_new (vss_writer_module_open (module, NULL), "instance");
  cr_assert (vss_writer_load (writer, &error), "%s", error != NULL ? error->message : "");
  return writer;
}

static void
run_ok (VssWriter *writer, VssEvent event)
{
  g_autoptr(VssEventReply) reply = vss_writer_handle_event (writer, event, NULL);
  cr_assert (reply->ok, "%s: %s", vss_event_to_string (event), reply->message);
}

Test (writer_freeze_bound, no_thaw_within_the_freeze_timeout_aborts_and_the_late_thaw_fails)
{
  /* short-freeze declares 300 ms. */
  VssWriter *writer = load_writer ("short-freeze");
  run_ok (writer, VSS_EVENT_PREPARE_BACKUP);
  run_ok (writer, VSS_EVENT_FREEZE);
  gint64 frozen = fx_event_time ("short-freeze", "freeze");
  cr_assert (fx_wait_for_event ("short-freeze", "abort", 300 * 10), "no abort by the runner");
  gint64 aborted = fx_event_time ("short-freeze", "abort");
  cr_assert_geq (aborted - frozen, 300 * 1000, "aborted before its timeout");

  g_autoptr(VssEventReply) thaw = vss_writer_handle_event (writer, VSS_EVENT_THAW, NULL);
  cr_assert_not (thaw->ok);
  cr_assert_eq (thaw->failure, VSS_WF_TIMEOUT);
  cr_assert_not_null (strstr (thaw->message, "300 ms"), "%s", thaw->message);
  run_ok (writer, VSS_EVENT_ABORT);
  vss_writer_free (writer);
  g_autofree char *events = fx_events_string ("short-freeze");
  cr_assert_str_eq (events, "prepare_backup freeze abort");
}

Test (writer_freeze_bound, thaw_in_time_disarms_the_timer)
{
  VssWriter *writer = load_writer ("short-freeze");
  run_ok (writer, VSS_EVENT_PREPARE_BACKUP);
  run_ok (writer, VSS_EVENT_FREEZE);
  run_ok (writer, VSS_EVENT_THAW);
  cr_assert_not (fx_wait_for_event ("short-freeze", "abort", 300 * 3), "aborted after a thaw");
  vss_writer_free (writer);
  g_autofree char *events = fx_events_string ("short-freeze");
  cr_assert_str_eq (events, "prepare_backup freeze thaw");
}

Test (writer_freeze_bound, a_writer_may_shorten_its_timeout_and_replies_say_so)
{
  VssWriter *writer = load_writer ("recorder");
  cr_assert_eq (vss_writer_get_freeze_timeout (writer), VSS_WRITER_DEFAULT_FREEZE_TIMEOUT_MS);
  vss_writer_set_freeze_timeout (writer, 200);
  vss_writer_set_freeze_timeout (writer, 500000);      /* never longer */
  cr_assert_eq (vss_writer_get_freeze_timeout (writer), 200);
  g_autoptr(VssEventReply) reply = vss_writer_handle_event (writer, VSS_EVENT_FREEZE, NULL);
  cr_assert_eq (reply->freeze_timeout_ms, 200);
  cr_assert (fx_wait_for_event ("recorder", "abort", 200 * 10), "no abort at the shorter timeout");
  vss_writer_free (writer);
}
