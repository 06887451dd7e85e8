/* test-writer.c — vss_writer_handle_event(): the runner rules, the
 * request as the getters show it, and the reply. */
#include <criterion/criterion.h>
#include <string.h>

#include "document/vss-document-private.h"
#include "util/vss-paths.h"
#include "vss-test.h"
#include "wh-test.h"

#define WRITER_ID "6f1c2d3e-0000-4000-8000-0000000000aa"

static char *tmpdir;

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  wh_capture_warnings_start ();
}

static void
teardown (void)
{
  wh_capture_warnings_stop ();
  vss_test_teardown_env (tmpdir);
  tmpdir = NULL;
}

TestSuite (writer, .init = setup, .fini = teardown);

static VssWriterDescriptor
descriptor_new (void)
{
  VssWriterDescriptor d = {
    .abi_major = VSS_WRITER_ABI_MAJOR, .abi_minor = VSS_WRITER_ABI_MINOR,
    .writer_id = WRITER_ID, .name = "directory", .usage_type = VSS_UT_USERDATA,
  };
  return d;
}

/* Runs @event on a fresh writer of @d with a plain request. */
static VssEventReply *
run (const VssWriterDescriptor *d, VssEvent event, json_object *request)
{
  VssWriter *writer = vss_writer_new (d, "inst-1");
  json_object *owned = request != NULL ? request
                                       : wh_request_new (vss_event_to_string (event), FALSE);
  cr_assert (vss_writer_load (writer, NULL));
  VssEventReply *reply = vss_writer_handle_event (writer, event, owned);
  json_object_put (owned);
  vss_writer_free (writer);
  return reply;
}

static gboolean cb_false (VssWriter *w) { return FALSE; }

static gboolean
cb_veto (VssWriter *w)
{
  vss_writer_set_failure (w, VSS_WF_TIMEOUT, "LMDB write lock busy for %.1f s", 2.1);
  return FALSE;
}

static gboolean
cb_nonfatal (VssWriter *w)
{
  vss_writer_set_failure (w, VSS_WF_RETRYABLE, "disk %d%% full", 95);
  return TRUE;
}

Test (writer, missing_callback_is_success)
{
  VssWriterDescriptor d = descriptor_new ();
  for (int e = VSS_EVENT_PREPARE_BACKUP; e < VSS_EVENT_COUNT; e++) {
    g_autoptr(VssEventReply) reply = run (&d, (VssEvent) e, NULL);
    cr_assert (reply->ok, "%s", vss_event_to_string (e));
    cr_assert_eq (reply->failure, VSS_WF_NONE);
    cr_assert_null (reply->message);
    cr_assert_null (reply->metadata);
  }
}

Test (writer, false_without_reason_is_nonretryable)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_freeze = cb_false;
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_FREEZE, NULL);
  cr_assert_not (reply->ok);
  cr_assert_eq (reply->failure, VSS_WF_NONRETRYABLE);
  cr_assert_str_eq (reply->message, "directory: freeze: returned FALSE without a reason");
}

Test (writer, veto_message_names_writer_and_event)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_freeze = cb_veto;
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_FREEZE, NULL);
  cr_assert_not (reply->ok);
  cr_assert_eq (reply->failure, VSS_WF_TIMEOUT);
  cr_assert_str_eq (reply->message, "directory: freeze: LMDB write lock busy for 2.1 s");
}

Test (writer, failure_with_true_is_not_fatal)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_post_snapshot = cb_nonfatal;
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_POST_SNAPSHOT, NULL);
  cr_assert (reply->ok);
  cr_assert_eq (reply->failure, VSS_WF_RETRYABLE);
  cr_assert_str_eq (reply->message, "directory: post_snapshot: disk 95% full");
}

static VssWriterFailure bad_failure;

static gboolean
cb_bad_failure (VssWriter *w)
{
  vss_writer_set_failure (w, bad_failure, "oops");
  return FALSE;
}

Test (writer, set_failure_refuses_none_and_not_responding)
{
  static const VssWriterFailure refused[] = { VSS_WF_NONE, VSS_WF_NOT_RESPONDING };
  VssWriterDescriptor d = descriptor_new ();
  d.on_thaw = cb_bad_failure;
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++) {
    bad_failure = refused[i];
    g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_THAW, NULL);
    cr_assert_eq (reply->failure, VSS_WF_NONRETRYABLE);
    cr_assert_str_eq (reply->message, "directory: thaw: oops");
  }
  wh_assert_warning ("VSS_WF_NONE", "non-retryable", NULL);
  wh_assert_warning ("VSS_WF_NOT_RESPONDING", "non-retryable", NULL);
}

Test (writer, failure_does_not_leak_into_the_next_event)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_freeze = cb_veto;
  VssWriter *writer = vss_writer_new (&d, "inst-1");
  json_object *request = wh_request_new ("freeze", FALSE);
  cr_assert (vss_writer_load (writer, NULL));
  g_autoptr(VssEventReply) vetoed = vss_writer_handle_event (writer, VSS_EVENT_FREEZE, request);
  g_autoptr(VssEventReply) next = vss_writer_handle_event (writer, VSS_EVENT_ABORT, request);
  cr_assert_not (vetoed->ok);
  cr_assert (next->ok);
  cr_assert_eq (next->failure, VSS_WF_NONE);
  cr_assert_null (next->message);
  json_object_put (request);
  vss_writer_free (writer);
}

Test (writer, unknown_event_and_bad_request_fail)
{
  VssWriterDescriptor d = descriptor_new ();
  json_object *bad = wh_request_new ("freeze", TRUE);
  json_object_object_add (bad, "components", json_object_new_string ("not an array"));
  g_autoptr(VssEventReply) unknown = run (&d, VSS_EVENT_COUNT, wh_request_new ("x", FALSE));
  g_autoptr(VssEventReply) parse = run (&d, VSS_EVENT_FREEZE, bad);
  cr_assert_not (unknown->ok);
  cr_assert_not (parse->ok);
  cr_assert_eq (parse->failure, VSS_WF_NONRETRYABLE);
  cr_assert (g_str_has_prefix (parse->message, "directory: freeze: bad request: "),
             "%s", parse->message);
  cr_assert (strstr (parse->message, "components") != NULL, "%s", parse->message);
}

/* ---- what the getters show during a callback ---- */

static struct {
  VssBackupType backup_type;
  VssSnapshotContext context;
  gboolean selected, bootable, partial;
  char *set_id, *instance_id, *writer_id, *name, *config_dir;
} seen;

static gboolean
cb_look (VssWriter *w)
{
  seen.backup_type = vss_writer_get_backup_type (w);
  seen.context = vss_writer_get_context (w);
  seen.selected = vss_writer_are_components_selected (w);
  seen.bootable = vss_writer_is_bootable_state_backup (w);
  seen.partial = vss_writer_is_partial_file_support_enabled (w);
  seen.set_id = g_strdup (vss_writer_get_snapshot_set_id (w));
  seen.instance_id = g_strdup (vss_writer_get_instance_id (w));
  seen.writer_id = g_strdup (vss_writer_get_writer_id (w));
  seen.name = g_strdup (vss_writer_get_name (w));
  seen.config_dir = g_strdup (vss_writer_get_config_dir (w));
  return TRUE;
}

Test (writer, getters_show_the_request)
{
  VssWriterDescriptor d = descriptor_new ();
  json_object *request = wh_request_new ("prepare_snapshot", FALSE);
  d.on_prepare_snapshot = cb_look;
  json_object_object_add (request, "backup_type",
                          json_object_new_string (vss_backup_type_to_string (VSS_BT_INCREMENTAL)));
  json_object_object_add (request, "context",
                          json_object_new_string (vss_snapshot_context_to_string (VSS_CTX_APP_ROLLBACK)));
  json_object_object_add (request, "select_components", json_object_new_boolean (FALSE));
  json_object_object_add (request, "bootable_state", json_object_new_boolean (TRUE));
  json_object_object_add (request, "partial_file_support", json_object_new_boolean (TRUE));
  json_object_object_add (request, "snapshot_set_id",
                          json_object_new_string ("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"));
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_PREPARE_SNAPSHOT, request);

  cr_assert (reply->ok, "%s", reply->message);
  cr_assert_eq (seen.backup_type, VSS_BT_INCREMENTAL);
  cr_assert_eq (seen.context, VSS_CTX_APP_ROLLBACK);
  cr_assert_not (seen.selected);
  cr_assert (seen.bootable && seen.partial);
  cr_assert_str_eq (seen.set_id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  cr_assert_str_eq (seen.instance_id, "inst-1");
  cr_assert_str_eq (seen.writer_id, WRITER_ID);
  cr_assert_str_eq (seen.name, "directory");
  cr_assert_str_eq (seen.config_dir, vss_paths_config_dir ());
  g_free (seen.set_id);
  g_free (seen.instance_id);
  g_free (seen.writer_id);
  g_free (seen.name);
  g_free (seen.config_dir);
}

static void
add_snapshot (json_object *request, const char *original, const char *snapshot)
{
  json_object *item = json_object_new_object ();
  json_object_object_add (item, "original_path", json_object_new_string (original));
  if (snapshot != NULL)
    json_object_object_add (item, "snapshot_path", json_object_new_string (snapshot));
  json_object_array_add (json_object_object_get (request, "snapshots"), item);
}

static GPtrArray *mapped;

static gboolean
cb_map (VssWriter *w)
{
  static const char *const paths[] = {
    "/srv/data", "/srv/data/", "/srv/data/a/b.db", "/srv/database", "/var/lib/x",
    "/opt/x", "relative",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    g_ptr_array_add (mapped, vss_writer_get_snapshot_path (w, paths[i]));
  return TRUE;
}

Test (writer, snapshot_path_maps_paths_under_an_original)
{
  VssWriterDescriptor d = descriptor_new ();
  json_object *request = wh_request_new ("post_snapshot", TRUE);
  d.on_post_snapshot = cb_map;
  mapped = g_ptr_array_new_with_free_func (g_free);
  add_snapshot (request, "/srv/data/", "/run/vss/snap/1");
  add_snapshot (request, "/", "/run/vss/snap/root");
  add_snapshot (request, "/var/lib/x", NULL);   /* not committed: maps nothing */
  add_snapshot (request, "/opt", "/run/vss/snap/opt");
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_POST_SNAPSHOT, request);

  cr_assert (reply->ok, "%s", reply->message);
  cr_assert_str_eq (g_ptr_array_index (mapped, 0), "/run/vss/snap/1");
  cr_assert_str_eq (g_ptr_array_index (mapped, 1), "/run/vss/snap/1");
  cr_assert_str_eq (g_ptr_array_index (mapped, 2), "/run/vss/snap/1/a/b.db");
  /* Whole elements only: /srv/database is not under /srv/data. */
  cr_assert_str_eq (g_ptr_array_index (mapped, 3), "/run/vss/snap/root/srv/database");
  cr_assert_str_eq (g_ptr_array_index (mapped, 4), "/run/vss/snap/root/var/lib/x");
  cr_assert_str_eq (g_ptr_array_index (mapped, 5), "/run/vss/snap/opt/x");
  cr_assert_null (g_ptr_array_index (mapped, 6));
  g_ptr_array_unref (mapped);
}

Test (writer, snapshot_path_is_null_without_a_covering_snapshot)
{
  VssWriterDescriptor d = descriptor_new ();
  json_object *request = wh_request_new ("post_snapshot", FALSE);
  d.on_post_snapshot = cb_map;
  mapped = g_ptr_array_new_with_free_func (g_free);
  add_snapshot (request, "/srv/data", "/run/vss/snap/1");
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_POST_SNAPSHOT, request);
  cr_assert_str_eq (g_ptr_array_index (mapped, 2), "/run/vss/snap/1/a/b.db");
  cr_assert_null (g_ptr_array_index (mapped, 3));
  cr_assert_null (g_ptr_array_index (mapped, 4));
  g_ptr_array_unref (mapped);
}

/* ---- user data, load and unload ---- */

static GString *trace;

static void trace_destroy (gpointer data) { g_string_append_printf (trace, "destroy:%s;", (char *) data); }

static gboolean
cb_load_ok (VssWriter *w, GError **error)
{
  g_string_append (trace, "load;");
  vss_writer_set_user_data (w, "one", trace_destroy);
  vss_writer_set_user_data (w, "two", trace_destroy);
  return TRUE;
}

static void
cb_unload (VssWriter *w)
{
  g_string_append_printf (trace, "unload:%s;", (char *) vss_writer_get_user_data (w));
}

static gboolean
cb_load_fail (VssWriter *w, GError **error)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "no socket at /run/app.sock");
  return FALSE;
}

Test (writer, user_data_and_unload_order)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_load = cb_load_ok;
  d.on_unload = cb_unload;
  trace = g_string_new (NULL);
  VssWriter *writer = vss_writer_new (&d, "inst-1");
  cr_assert (vss_writer_load (writer, NULL));
  vss_writer_free (writer);
  cr_assert_str_eq (trace->str, "load;destroy:one;unload:two;destroy:two;");
  g_string_free (trace, TRUE);
}

static gboolean
cb_freeze_trace (VssWriter *w)
{
  g_string_append (trace, "freeze;");
  return TRUE;
}

Test (writer, load_failure_is_prefixed_answers_every_event_and_skips_unload)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(GError) error = NULL;
  d.on_load = cb_load_fail;
  d.on_unload = cb_unload;
  d.on_freeze = cb_freeze_trace;
  trace = g_string_new (NULL);
  VssWriter *writer = vss_writer_new (&d, "inst-1");
  cr_assert_not (vss_writer_load (writer, &error));
  cr_assert_str_eq (error->message, "directory: load: no socket at /run/app.sock");
  cr_assert_not (vss_writer_is_loaded (writer));
  g_autoptr(VssEventReply) reply = vss_writer_handle_event (writer, VSS_EVENT_FREEZE, NULL);
  cr_assert_not (reply->ok);
  cr_assert_eq (reply->failure, VSS_WF_NONRETRYABLE);
  cr_assert_str_eq (reply->message, "directory: load: no socket at /run/app.sock");
  vss_writer_free (writer);
  cr_assert_str_eq (trace->str, "");
  g_string_free (trace, TRUE);
}

/* ---- the snapshot's atomicity ---- */

static int atomic_seen = -1;

static gboolean
cb_atomic (VssWriter *w)
{
  atomic_seen = vss_writer_get_snapshot_is_atomic (w);
  return TRUE;
}

Test (writer, snapshot_is_atomic_as_the_request_says)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_prepare_backup = cb_atomic;
  json_object *request = wh_request_new ("prepare_backup", TRUE);
  json_object_object_add (request, "snapshot_atomic", json_object_new_boolean (TRUE));
  g_autoptr(VssEventReply) atomic = run (&d, VSS_EVENT_PREPARE_BACKUP, request);
  cr_assert (atomic->ok, "%s", atomic->message);
  cr_assert_eq (atomic_seen, TRUE);

  /* absent (an older coordinator): file by file, the safe answer */
  g_autoptr(VssEventReply) unsaid = run (&d, VSS_EVENT_PREPARE_BACKUP,
                                         wh_request_new ("prepare_backup", TRUE));
  cr_assert (unsaid->ok, "%s", unsaid->message);
  cr_assert_eq (atomic_seen, FALSE);
}
