/* test-transport.c — the in-process transport: one worker thread per
 * writer, events in order, close() that never blocks. */
#include <criterion/criterion.h>
#include <string.h>

#include "vss-test.h"
#include "wh-test.h"

static char *tmpdir;
static char *record_dir;

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  record_dir = g_build_filename (tmpdir, "record", NULL);
  g_mkdir_with_parents (record_dir, 0755);
  g_setenv ("VSS_TEST_RECORD_DIR", record_dir, TRUE);
}

static void
teardown (void)
{
  g_unsetenv ("VSS_TEST_RECORD_DIR");
  g_clear_pointer (&record_dir, g_free);
  vss_test_teardown_env (tmpdir);
  tmpdir = NULL;
}

TestSuite (transport, .init = setup, .fini = teardown);

static const VssWriterModule *
load_module (const char *name)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, name, NULL);
  g_autofree char *base = g_strdup_printf ("libvss-test-%s.so", name);
  g_autofree char *file = g_build_filename (dir, base, NULL);
  g_autoptr(GError) error = NULL;
  const VssWriterModule *module = vss_writer_module_load (file, &error);
  cr_assert_null (error, "%s", error ? error->message : "");
  return module;
}

static void
send_event (VssTransport *transport, GAsyncQueue *replies, VssEvent event)
{
  json_object *request = wh_request_new (vss_event_to_string (event),
                                         event != VSS_EVENT_IDENTIFY);
  vss_transport_send (transport, event, request, wh_reply_to_queue,
                      wh_reply_queue_ref (replies));
  /* The transport took its own reference while the event is queued. */
  json_object_put (request);
}

Test (transport, events_in_order_on_one_worker_thread)
{
  static const VssEvent events[] = {
    VSS_EVENT_IDENTIFY, VSS_EVENT_PREPARE_BACKUP, VSS_EVENT_PREPARE_SNAPSHOT,
    VSS_EVENT_FREEZE, VSS_EVENT_THAW, VSS_EVENT_POST_SNAPSHOT,
    VSS_EVENT_BACKUP_COMPLETE, VSS_EVENT_BACKUP_SHUTDOWN,
  };
  g_autoptr(GAsyncQueue) replies = wh_reply_queue_new ();
  VssTransport *transport = vss_transport_inproc_new (load_module ("recorder"), "inst-1");
  long worker = 0;

  cr_assert_str_eq (transport->klass->name, "inproc");
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    send_event (transport, replies, events[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++) {
    g_autoptr(WhReply) item = wh_reply_pop (replies, 5000);
    cr_assert (item->reply->ok, "%s", item->reply->message);
    worker = worker != 0 ? worker : item->tid;
    cr_assert_eq (item->tid, worker, "replies come from the worker thread");
  }
  cr_assert_neq (worker, wh_gettid ());

  g_auto(GStrv) lines = wh_read_lines (record_dir, "recorder", "events", 8, 2000);
  cr_assert_eq (g_strv_length (lines), G_N_ELEMENTS (events));
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++) {
    g_autofree char *event = wh_record_word (lines[i], 0);
    g_autofree char *tid = wh_record_word (lines[i], 1);
    cr_assert_str_eq (event, vss_event_to_string (events[i]));
    cr_assert_eq (g_ascii_strtoll (tid, NULL, 10), worker);
  }
  vss_transport_close (transport);
  g_auto(GStrv) life = wh_read_lines (record_dir, "recorder", "lifecycle", 2, 2000);
  cr_assert_eq (g_strv_length (life), 2);
  g_autofree char *load = wh_record_word (life[0], 0);
  g_autofree char *load_tid = wh_record_word (life[0], 1);
  g_autofree char *unload = wh_record_word (life[1], 0);
  g_autofree char *unload_tid = wh_record_word (life[1], 1);
  cr_assert_str_eq (load, "load");
  cr_assert_str_eq (unload, "unload");
  cr_assert_eq (g_ascii_strtoll (load_tid, NULL, 10), worker);
  cr_assert_eq (g_ascii_strtoll (unload_tid, NULL, 10), worker);
}

Test (transport, writers_get_their_own_threads)
{
  g_autoptr(GAsyncQueue) replies_a = wh_reply_queue_new ();
  g_autoptr(GAsyncQueue) replies_b = wh_reply_queue_new ();
  VssTransport *a = vss_transport_inproc_new (load_module ("recorder"), "inst-a");
  VssTransport *b = vss_transport_inproc_new (load_module ("veto"), "inst-b");

  g_unsetenv ("VSS_TEST_VETO_EVENT");
  send_event (a, replies_a, VSS_EVENT_FREEZE);
  send_event (b, replies_b, VSS_EVENT_FREEZE);
  g_autoptr(WhReply) ra = wh_reply_pop (replies_a, 5000);
  g_autoptr(WhReply) rb = wh_reply_pop (replies_b, 5000);
  cr_assert (ra->reply->ok);
  cr_assert_not (rb->reply->ok);
  cr_assert_eq (rb->reply->failure, VSS_WF_NONRETRYABLE);
  cr_assert_str_eq (rb->reply->message, "veto: freeze: vetoed at freeze");
  cr_assert_neq (ra->tid, rb->tid);
  cr_assert_neq (ra->tid, wh_gettid ());
  vss_transport_close (a);
  vss_transport_close (b);
}

Test (transport, close_runs_queued_events_first)
{
  g_autoptr(GAsyncQueue) replies = wh_reply_queue_new ();
  g_setenv ("VSS_TEST_SLOW_MS", "100", TRUE);
  g_setenv ("VSS_TEST_SLOW_EVENT", "freeze", TRUE);
  VssTransport *transport = vss_transport_inproc_new (load_module ("slow-0"), "inst-s");

  /* thaw's request is read after the caller dropped its reference. */
  send_event (transport, replies, VSS_EVENT_FREEZE);
  send_event (transport, replies, VSS_EVENT_THAW);
  vss_transport_close (transport);
  g_autoptr(WhReply) first = wh_reply_pop (replies, 5000);
  g_autoptr(WhReply) second = wh_reply_pop (replies, 5000);
  cr_assert (first->reply->ok && second->reply->ok);
  g_auto(GStrv) life = wh_read_lines (record_dir, "slow-0", "lifecycle", 2, 2000);
  cr_assert_eq (g_strv_length (life), 2);
  cr_assert (g_str_has_prefix (life[1], "unload "));
  g_auto(GStrv) lines = wh_read_lines (record_dir, "slow-0", "events", 2, 2000);
  cr_assert (g_str_has_prefix (lines[0], "freeze "));
  cr_assert (g_str_has_prefix (lines[1], "thaw "));
  g_unsetenv ("VSS_TEST_SLOW_MS");
  g_unsetenv ("VSS_TEST_SLOW_EVENT");
}

Test (transport, hung_writer_blocks_neither_close_nor_caller)
{
  g_autoptr(GAsyncQueue) replies = wh_reply_queue_new ();
  g_setenv ("VSS_TEST_HANG_MS", "1000", TRUE);
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  VssTransport *transport = vss_transport_inproc_new (load_module ("hang"), "inst-h");

  send_event (transport, replies, VSS_EVENT_FREEZE);
  g_auto(GStrv) lines = wh_read_lines (record_dir, "hang", "events", 1, 2000);
  cr_assert_eq (g_strv_length (lines), 1, "the writer entered freeze");

  gint64 start = g_get_monotonic_time ();
  send_event (transport, replies, VSS_EVENT_THAW);
  vss_transport_close (transport);
  gint64 elapsed = g_get_monotonic_time () - start;
  cr_assert_lt (elapsed, 50000, "send+close took %" G_GINT64_FORMAT " us", elapsed);
  /* Still hung: no reply yet.  The worker finishes on its own later,
   * replying into the queue it holds references to. */
  cr_assert_null (g_async_queue_timeout_pop (replies, 100000));
  g_unsetenv ("VSS_TEST_HANG_MS");
  g_unsetenv ("VSS_TEST_HANG_EVENT");
}

Test (transport, load_failure_fails_every_event)
{
  static const VssEvent events[] = { VSS_EVENT_IDENTIFY, VSS_EVENT_PREPARE_BACKUP,
                                     VSS_EVENT_FREEZE };
  g_autoptr(GAsyncQueue) replies = wh_reply_queue_new ();
  VssTransport *transport = vss_transport_inproc_new (load_module ("failing-load"), "inst-f");

  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    send_event (transport, replies, events[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++) {
    g_autoptr(WhReply) item = wh_reply_pop (replies, 5000);
    cr_assert_not (item->reply->ok);
    cr_assert_eq (item->reply->failure, VSS_WF_NONRETRYABLE);
    cr_assert_str_eq (item->reply->message, "failing-load: load: refused to load (test writer)");
    cr_assert_null (item->reply->metadata);
  }
  vss_transport_close (transport);
  /* No callback runs on a writer that did not load, not even on_unload. */
  g_usleep (100000);
  g_auto(GStrv) life = wh_read_lines (record_dir, "failing-load", "lifecycle", 1, 2000);
  cr_assert_eq (g_strv_length (life), 1);
  cr_assert (g_str_has_prefix (life[0], "load "));
  g_auto(GStrv) events_seen = wh_read_lines (record_dir, "failing-load", "events", 0, 0);
  cr_assert_eq (g_strv_length (events_seen), 0);
}
