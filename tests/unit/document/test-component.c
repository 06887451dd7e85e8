/* test-component.c — VssComponent getters and setters against `writable`,
 * vss_component_matches, and editing a VssDocument (writers, components,
 * snapshots, set_writable). */
#include <criterion/criterion.h>

#include "doc-test.h"

/* Calls every setter; returns how many succeeded, stores each error. */
static guint
call_every_setter (VssComponent *c, GError **errors)
{
  guint ok = 0;
  ok += vss_component_set_backup_stamp (c, "stamp", &errors[0]);
  ok += vss_component_set_backup_metadata (c, "meta", &errors[1]);
  ok += vss_component_add_differenced_files_by_last_modify_time (c, "/var", "*", TRUE, 42,
                                                                 &errors[2]);
  ok += vss_component_add_partial_file (c, "/var", "f", "0:1", "m", &errors[3]);
  ok += vss_component_set_restore_target (c, VSS_RT_ALTERNATE, &errors[4]);
  ok += vss_component_set_restore_metadata (c, "rmeta", &errors[5]);
  ok += vss_component_set_pre_restore_failure_msg (c, "pre", &errors[6]);
  ok += vss_component_set_post_restore_failure_msg (c, "post", &errors[7]);
  return ok;
}

Test (component, new_component_is_read_only_with_defaults)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_DATABASE, "", "db");

  cr_assert_not (c->writable);
  cr_assert_eq (vss_component_get_type (c), VSS_CT_DATABASE);
  cr_assert_null (vss_component_get_logical_path (c), "\"\" is stored as NULL");
  cr_assert_str_eq (vss_component_get_name (c), "db");
  cr_assert_not (vss_component_get_backup_succeeded (c));
  cr_assert_null (vss_component_get_backup_stamp (c));
  cr_assert_eq (vss_component_get_restore_target (c), VSS_RT_UNDEFINED);
  cr_assert_eq (vss_component_get_file_restore_status (c), VSS_RS_UNDEFINED);
  cr_assert_not (vss_component_is_selected_for_restore (c));
  cr_assert_eq (vss_component_get_partial_file_count (c), 0);
  cr_assert_eq (vss_component_get_differenced_files_count (c), 0);
}

Test (component, setters_refused_while_read_only)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_DATABASE, "lp", "db");
  GError *errors[8] = { NULL };

  cr_assert_eq (call_every_setter (c, errors), 0);
  for (guint i = 0; i < G_N_ELEMENTS (errors); i++) {
    assert_error (errors[i], VSS_ERROR_BAD_STATE,
                  "the Backup Components Document is read-only now: ");
    cr_assert_not_null (strstr (errors[i]->message, "\"db\""), "%s", errors[i]->message);
    g_error_free (errors[i]);
  }
  cr_assert_null (vss_component_get_backup_stamp (c));
  cr_assert_null (vss_component_get_backup_metadata (c));
  cr_assert_eq (vss_component_get_differenced_files_count (c), 0);
  cr_assert_eq (vss_component_get_partial_file_count (c), 0);
  cr_assert_eq (vss_component_get_restore_target (c), VSS_RT_UNDEFINED);
  cr_assert_null (vss_component_get_restore_metadata (c));
  cr_assert_null (vss_component_get_pre_restore_failure_msg (c));
  cr_assert_null (vss_component_get_post_restore_failure_msg (c));
}

Test (component, setters_work_while_writable)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_DATABASE, "lp", "db");
  GError *errors[8] = { NULL };

  c->writable = TRUE;
  cr_assert_eq (call_every_setter (c, errors), 8);
  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    cr_assert_null (errors[i]);
  cr_assert_str_eq (vss_component_get_backup_stamp (c), "stamp");
  cr_assert_str_eq (vss_component_get_backup_metadata (c), "meta");
  cr_assert_eq (vss_component_get_differenced_files_count (c), 1);
  VssDifferencedFile *d = g_ptr_array_index (c->differenced_files, 0);
  cr_assert_str_eq (d->path, "/var");
  cr_assert_eq (d->last_modify_time_usec, 42);
  cr_assert (d->recursive);
  cr_assert_eq (vss_component_get_partial_file_count (c), 1);
  VssPartialFile *p = g_ptr_array_index (c->partial_files, 0);
  cr_assert_str_eq (p->ranges, "0:1");
  cr_assert_str_eq (p->metadata, "m");
  cr_assert_eq (vss_component_get_restore_target (c), VSS_RT_ALTERNATE);
  cr_assert_str_eq (vss_component_get_restore_metadata (c), "rmeta");
  cr_assert_str_eq (vss_component_get_pre_restore_failure_msg (c), "pre");
  cr_assert_str_eq (vss_component_get_post_restore_failure_msg (c), "post");

  /* NULL clears a string. */
  cr_assert (vss_component_set_backup_stamp (c, NULL, NULL));
  cr_assert_null (vss_component_get_backup_stamp (c));

  /* Closing again refuses without touching the values. */
  c->writable = FALSE;
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_component_set_backup_metadata (c, "other", &error));
  cr_assert_str_eq (vss_component_get_backup_metadata (c), "meta");
}

Test (component, setter_argument_rules)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_FILEGROUP, NULL, "fg");
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;

  c->writable = TRUE;
  cr_assert_not (vss_component_set_restore_target (c, (VssRestoreTarget) 17, &e1));
  assert_error (e1, VSS_ERROR_INVALID_ARG, "restore target 17");
  cr_assert_not (vss_component_add_differenced_files_by_last_modify_time (c, "var", "*", FALSE, 0,
                                                                          &e2));
  assert_error (e2, VSS_ERROR_INVALID_ARG, "absolute");
  cr_assert_not (vss_component_add_differenced_files_by_last_modify_time (c, "/var", "a/b", FALSE,
                                                                          0, &e3));
  assert_error (e3, VSS_ERROR_INVALID_ARG, "filespec");
  cr_assert_not (vss_component_add_partial_file (c, "/var", "", NULL, NULL, &e4));
  assert_error (e4, VSS_ERROR_INVALID_ARG, "file name");
  cr_assert_not (vss_component_add_partial_file (c, NULL, "x", NULL, NULL, &e5));
  assert_error (e5, VSS_ERROR_INVALID_ARG, "path");
  cr_assert_eq (vss_component_get_differenced_files_count (c), 0);
  cr_assert_eq (vss_component_get_partial_file_count (c), 0);
}

Test (component, matches)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_DATABASE, NULL, "db");
  g_autoptr(VssComponent) d = vss_component_new (VSS_CT_FILEGROUP, "a/b", "fg");

  cr_assert (vss_component_matches (c, VSS_CT_DATABASE, NULL, "db"));
  cr_assert (vss_component_matches (c, VSS_CT_DATABASE, "", "db"));
  cr_assert (vss_component_matches (c, VSS_CT_UNDEFINED, NULL, "db"));
  cr_assert_not (vss_component_matches (c, VSS_CT_FILEGROUP, NULL, "db"));
  cr_assert_not (vss_component_matches (c, VSS_CT_DATABASE, "x", "db"));
  cr_assert_not (vss_component_matches (c, VSS_CT_DATABASE, NULL, "DB"));
  cr_assert (vss_component_matches (d, VSS_CT_UNDEFINED, "a/b", "fg"));
  cr_assert_not (vss_component_matches (d, VSS_CT_UNDEFINED, NULL, "fg"));
  cr_assert_not (vss_component_matches (d, VSS_CT_UNDEFINED, "", "fg"));
  cr_assert_not (vss_component_matches (d, VSS_CT_UNDEFINED, "a/b/", "fg"));
}

Test (document, new_has_documented_defaults)
{
  g_autoptr(VssDocument) doc = vss_document_new ();

  cr_assert_eq (doc->version, VSS_DOCUMENT_VERSION);
  cr_assert_not (doc->restore);
  cr_assert_eq (doc->backup_type, VSS_BT_FULL);
  cr_assert_not (doc->select_components);
  cr_assert_eq (doc->context, VSS_CTX_BACKUP);
  cr_assert_null (doc->snapshot_set_id);
  cr_assert_eq (doc->snapshots->len, 0);
  cr_assert_eq (doc->writers->len, 0);
}

Test (document, find_and_ensure_writer)
{
  g_autoptr(VssDocument) doc = vss_document_new ();

  cr_assert_null (vss_document_find_writer (doc, DOC_TEST_WRITER_A, NULL));
  VssBcdWriter *a = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "a");
  VssBcdWriter *a2 = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_B, "a");
  cr_assert_neq (a, a2);
  cr_assert_eq (vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "a"), a);
  cr_assert_eq (doc->writers->len, 2);
  cr_assert_str_eq (a->writer_name, "a");
  cr_assert_eq (vss_document_find_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_B), a2);
  cr_assert_eq (vss_document_find_writer (doc, DOC_TEST_WRITER_A, NULL), a, "first instance");
  cr_assert_null (vss_document_find_writer (doc, DOC_TEST_WRITER_B, NULL));
  cr_assert_null (vss_document_find_writer (doc, DOC_TEST_WRITER_B, DOC_TEST_INSTANCE_A));
}

Test (document, add_and_find_component)
{
  g_autoptr(VssDocument) doc = vss_document_new ();
  VssBcdWriter *w = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "a");
  g_autoptr(GError) error = NULL;

  VssComponent *c = vss_bcd_writer_add_component (w, VSS_CT_DATABASE, NULL, "db", &error);
  cr_assert_not_null (c);
  cr_assert_not (c->writable);
  cr_assert_eq (vss_bcd_writer_find_component (w, VSS_CT_DATABASE, "", "db"), c);
  cr_assert_eq (vss_bcd_writer_find_component (w, VSS_CT_UNDEFINED, NULL, "db"), c);
  cr_assert_null (vss_bcd_writer_find_component (w, VSS_CT_FILEGROUP, NULL, "db"));
  cr_assert_null (vss_bcd_writer_find_component (w, VSS_CT_DATABASE, "lp", "db"));

  cr_assert_null (vss_bcd_writer_add_component (w, VSS_CT_FILEGROUP, "", "db", &error));
  assert_error (error, VSS_ERROR_OBJECT_ALREADY_EXISTS, "already in the Backup Components");
  g_clear_error (&error);
  cr_assert_null (vss_bcd_writer_add_component (w, VSS_CT_FILEGROUP, NULL, "a/b", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "must not contain '/'");
  g_clear_error (&error);
  cr_assert_null (vss_bcd_writer_add_component (w, VSS_CT_UNDEFINED, NULL, "x", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "component type");
  cr_assert_not_null (vss_bcd_writer_add_component (w, VSS_CT_FILEGROUP, "lp", "db", NULL));
  cr_assert_eq (w->components->len, 2);
}

Test (document, add_snapshot)
{
  g_autoptr(VssDocument) doc = vss_document_new ();
  VssBcdSnapshot *s = vss_document_add_snapshot (doc, "11111111-2222-4333-8444-555555555555",
                                                 "/srv", "copy");

  cr_assert_eq (doc->snapshots->len, 1);
  cr_assert_eq (g_ptr_array_index (doc->snapshots, 0), s);
  cr_assert_str_eq (s->original_path, "/srv");
  cr_assert_str_eq (s->provider, "copy");
  cr_assert_null (s->snapshot_path);
}

Test (document, set_writable_reaches_every_component)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  guint total = 0;

  vss_document_set_writable (doc, TRUE);
  for (guint i = 0; i < doc->writers->len; i++) {
    VssBcdWriter *w = g_ptr_array_index (doc->writers, i);
    for (guint j = 0; j < w->components->len; j++, total++) {
      VssComponent *c = g_ptr_array_index (w->components, j);
      cr_assert (c->writable);
      cr_assert (vss_component_set_backup_stamp (c, "s", NULL));
    }
  }
  cr_assert_eq (total, 4);
  vss_document_set_writable (doc, FALSE);
  for (guint i = 0; i < doc->writers->len; i++) {
    VssBcdWriter *w = g_ptr_array_index (doc->writers, i);
    for (guint j = 0; j < w->components->len; j++) {
      g_autoptr(GError) error = NULL;
      cr_assert_not (vss_component_set_backup_stamp (g_ptr_array_index (w->components, j), "t",
                                                     &error));
      cr_assert_eq (error->code, VSS_ERROR_BAD_STATE);
    }
  }
}

/* Files provided after the snapshot: writable only, absolute, once each,
 * and carried by the component's JSON (the writer's reply, the BCD). */
Test (component, post_snapshot_files)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_FILEGROUP, NULL, "wal");
  g_autoptr(GError) ro = NULL, rel = NULL, error = NULL;
  cr_assert_not (vss_component_add_post_snapshot_file (c, "/srv/wal/1", &ro));
  assert_error (ro, VSS_ERROR_BAD_STATE, "the Backup Components Document is read-only now: ");
  c->writable = TRUE;
  cr_assert_not (vss_component_add_post_snapshot_file (c, "wal/1", &rel));
  cr_assert_not_null (rel);
  cr_assert (vss_component_add_post_snapshot_file (c, "/srv/wal/1", &error));
  cr_assert (vss_component_add_post_snapshot_file (c, "/srv/wal/2", &error));
  cr_assert (vss_component_add_post_snapshot_file (c, "/srv/wal/1", &error));
  cr_assert_eq (vss_component_get_post_snapshot_file_count (c), 2);

  json_object *obj = vss_component_to_json_object (c);
  g_autoptr(VssComponent) back = vss_component_from_json_object (obj, "component", &error);
  json_object_put (obj);
  cr_assert_not_null (back, "%s", error ? error->message : "");
  cr_assert_eq (vss_component_get_post_snapshot_file_count (back), 2);
  cr_assert_str_eq (vss_component_get_post_snapshot_file (back, 0), "/srv/wal/1");
  cr_assert_str_eq (vss_component_get_post_snapshot_file (back, 1), "/srv/wal/2");
  cr_assert_null (vss_component_get_post_snapshot_file (back, 2));
}

/* An image entry (a socket the writer serves) keeps its source and size
 * through the JSON; a live file stays a plain path, as older documents
 * have it; an image entry without its source is refused. */
Test (component, post_snapshot_images)
{
  g_autoptr(VssComponent) c = vss_component_new (VSS_CT_DATABASE, "lmdb", "db");
  g_autoptr(GError) error = NULL, bad = NULL;
  c->writable = TRUE;
  cr_assert (vss_component_add_post_snapshot_image (c, "/srv/db/data.mdb", "/run/vss/image-1/s",
                                                    4096, &error));
  cr_assert (vss_component_add_post_snapshot_file (c, "/srv/db/vss-directory.id", &error));
  json_object *obj = vss_component_to_json_object (c);
  const char *text = json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  cr_assert (strstr (text, "\"/srv/db/vss-directory.id\"") != NULL, "%s", text);
  g_autoptr(VssComponent) back = vss_component_from_json_object (obj, "component", &error);
  json_object_put (obj);
  cr_assert_not_null (back, "%s", error ? error->message : "");
  guint64 size = 0;
  cr_assert_str_eq (vss_component_get_post_snapshot_file (back, 0), "/srv/db/data.mdb");
  cr_assert_str_eq (vss_component_get_post_snapshot_source (back, 0, &size), "/run/vss/image-1/s");
  cr_assert_eq (size, 4096);
  cr_assert_null (vss_component_get_post_snapshot_source (back, 1, &size));

  json_object *broken = json_tokener_parse (
      "{\"type\":\"database\",\"logical_path\":\"lmdb\",\"name\":\"db\","
      "\"backup_succeeded\":false,\"post_snapshot_files\":[{\"path\":\"/srv/db/data.mdb\"}]}");
  g_autoptr(VssComponent) none = vss_component_from_json_object (broken, "component", &bad);
  json_object_put (broken);
  cr_assert_null (none);
  cr_assert (strstr (bad->message, "component.post_snapshot_files[0]") != NULL, "%s", bad->message);
}
