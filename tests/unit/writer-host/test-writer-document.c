/* test-writer-document.c — identify builds the writer metadata, and
 * writable events carry the writer's component changes back. */
#include <criterion/criterion.h>
#include <string.h>

#include "document/vss-document-private.h"
#include "vss-test.h"
#include "wh-test.h"

#define WRITER_ID "6f1c2d3e-0000-4000-8000-0000000000aa"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (writer_document, .init = setup, .fini = teardown);

static VssWriterDescriptor
descriptor_new (void)
{
  VssWriterDescriptor d = {
    .abi_major = VSS_WRITER_ABI_MAJOR, .abi_minor = VSS_WRITER_ABI_MINOR,
    .writer_id = WRITER_ID, .name = "directory", .usage_type = VSS_UT_SYSTEMSERVICE,
  };
  return d;
}

static VssEventReply *
run (const VssWriterDescriptor *d, VssEvent event, json_object *request)
{
  VssWriter *writer = vss_writer_new (d, "11111111-2222-4333-8444-555555555555");
  cr_assert (vss_writer_load (writer, NULL));
  VssEventReply *reply = vss_writer_handle_event (writer, event, request);
  json_object_put (request);
  vss_writer_free (writer);
  return reply;
}


static gboolean
cb_identify (VssWriter *w, VssWriterMetadata *metadata, GError **error)
{
  return vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, NULL, "data",
                                            "Data files", TRUE, FALSE, error) &&
         vss_writer_metadata_add_files_to_file_group (metadata, NULL, "data", "/srv/data",
                                                      "*", TRUE, NULL, error);
}

Test (writer_document, identify_returns_sealed_metadata)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(GError) error = NULL;
  d.on_identify = cb_identify;
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_IDENTIFY, wh_request_new ("identify", FALSE));

  cr_assert (reply->ok, "%s", reply->message);
  cr_assert_not_null (reply->metadata);
  cr_assert_null (reply->components);
  g_autoptr(VssWriterMetadata) wmd =
    vss_writer_metadata_from_json_object (reply->metadata, "metadata", &error);
  cr_assert_null (error, "%s", error ? error->message : "");
  cr_assert_str_eq (vss_writer_metadata_get_writer_id (wmd), WRITER_ID);
  cr_assert_str_eq (vss_writer_metadata_get_writer_name (wmd), "directory");
  cr_assert_str_eq (vss_writer_metadata_get_instance_id (wmd),
                    "11111111-2222-4333-8444-555555555555");
  cr_assert_eq (vss_writer_metadata_get_usage_type (wmd), VSS_UT_SYSTEMSERVICE);
  cr_assert_eq (vss_writer_metadata_get_component_count (wmd), 1);
  const VssWmComponent *c = vss_writer_metadata_get_component (wmd, 0);
  cr_assert_str_eq (vss_wm_component_get_name (c), "data");
  cr_assert_eq (vss_wm_component_get_file_count (c), 1);
  cr_assert_str_eq (vss_wm_file_get_path (vss_wm_component_get_file (c, 0)), "/srv/data");
}

Test (writer_document, identify_without_callback_has_no_components)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = run (&d, VSS_EVENT_IDENTIFY, NULL);
  g_autoptr(VssWriterMetadata) wmd =
    vss_writer_metadata_from_json_object (reply->metadata, NULL, NULL);
  cr_assert (reply->ok);
  cr_assert_not_null (wmd);
  cr_assert_eq (vss_writer_metadata_get_component_count (wmd), 0);
}

static gboolean
cb_identify_fail (VssWriter *w, VssWriterMetadata *metadata, GError **error)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "config %s unreadable", "/etc/app.conf");
  return FALSE;
}

static gboolean
cb_identify_false (VssWriter *w, VssWriterMetadata *metadata, GError **error)
{
  return FALSE;
}

Test (writer_document, identify_failure_carries_the_error)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_identify = cb_identify_fail;
  g_autoptr(VssEventReply) failed = run (&d, VSS_EVENT_IDENTIFY, wh_request_new ("identify", FALSE));
  d.on_identify = cb_identify_false;
  g_autoptr(VssEventReply) silent = run (&d, VSS_EVENT_IDENTIFY, wh_request_new ("identify", FALSE));

  cr_assert_not (failed->ok);
  cr_assert_eq (failed->failure, VSS_WF_NONRETRYABLE);
  cr_assert_str_eq (failed->message, "directory: identify: config /etc/app.conf unreadable");
  cr_assert_null (failed->metadata);
  cr_assert_str_eq (silent->message, "directory: identify: returned FALSE without a reason");
}

static json_object *
request_with_components (const char *event, gboolean writable)
{
  json_object *request = wh_request_new (event, writable);
  g_autoptr(GPtrArray) components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
  g_ptr_array_add (components, vss_component_new (VSS_CT_FILEGROUP, NULL, "data"));
  g_ptr_array_add (components, vss_component_new (VSS_CT_DATABASE, "dbs", "db"));
  json_object_object_add (request, "components", vss_components_to_json_array (components));
  return request;
}

static GError *set_error;
static guint seen_count;

static gboolean
cb_stamp (VssWriter *w)
{
  seen_count = vss_writer_get_component_count (w);
  for (guint i = 0; i < seen_count; i++) {
    VssComponent *c = vss_writer_get_component (w, i);
    g_autofree char *stamp = g_strdup_printf ("stamp-%s", vss_component_get_name (c));
    if (!vss_component_set_backup_stamp (c, stamp, &set_error))
      return TRUE;
  }
  cr_assert_null (vss_writer_get_component (w, seen_count));
  return TRUE;
}

Test (writer_document, writable_event_returns_changed_components)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(GError) error = NULL;
  d.on_prepare_backup = cb_stamp;
  g_autoptr(VssEventReply) reply =
    run (&d, VSS_EVENT_PREPARE_BACKUP, request_with_components ("prepare_backup", TRUE));

  cr_assert (reply->ok, "%s", reply->message);
  cr_assert_null (set_error);
  cr_assert_eq (seen_count, 2);
  cr_assert_not_null (reply->components);
  g_autoptr(GPtrArray) back = vss_components_from_json_array (reply->components, "reply", &error);
  cr_assert_null (error, "%s", error ? error->message : "");
  cr_assert_eq (back->len, 2);
  cr_assert_str_eq (vss_component_get_backup_stamp (g_ptr_array_index (back, 0)), "stamp-data");
  cr_assert_str_eq (vss_component_get_backup_stamp (g_ptr_array_index (back, 1)), "stamp-db");
  cr_assert_str_eq (vss_component_get_logical_path (g_ptr_array_index (back, 1)), "dbs");
}

Test (writer_document, read_only_event_refuses_changes_and_returns_none)
{
  VssWriterDescriptor d = descriptor_new ();
  d.on_backup_complete = cb_stamp;
  g_autoptr(VssEventReply) reply =
    run (&d, VSS_EVENT_BACKUP_COMPLETE, request_with_components ("backup_complete", FALSE));

  cr_assert (reply->ok);
  cr_assert_eq (seen_count, 2);
  cr_assert (g_error_matches (set_error, VSS_ERROR, VSS_ERROR_BAD_STATE));
  g_clear_error (&set_error);
  cr_assert_null (reply->components);
}
