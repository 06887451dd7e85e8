/* doc-test.c — fixtures shared by the document tests. */
#include "doc-test.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Odd but legal strings: every one must survive a round trip. */
#define ODD_TEXT "quote \" backslash \\ slash / tab \t nl \n ctl \x01 utf8 é ✓"
#define LATIN1_PATH "/data/caf\xe9"

static void
fill_component (VssComponent *c, int n)
{
  c->backup_succeeded = n % 2 == 0;
  c->backup_options = g_strdup_printf ("options-%d " ODD_TEXT, n);
  c->backup_stamp = g_strdup_printf ("stamp-%d", n);
  c->previous_backup_stamp = g_strdup_printf ("previous-%d", n);
  c->backup_metadata = g_strdup ("{\"embedded\": [1, 2]}");
  c->writable = TRUE;
  cr_assert (vss_component_add_partial_file (c, "/var/db", "a.db", "0:4096,8192:4096",
                                             "partial-meta", NULL));
  cr_assert (vss_component_add_partial_file (c, LATIN1_PATH, "b.db", NULL, NULL, NULL));
  cr_assert (vss_component_add_differenced_files_by_last_modify_time (
      c, "/var/db", "*.log", TRUE, G_GINT64_CONSTANT (1700000000123456), NULL));
  cr_assert (vss_component_add_differenced_files_by_last_modify_time (
      c, "/srv", "x", FALSE, G_GINT64_CONSTANT (-5), NULL));
  c->selected_for_restore = TRUE;
  c->additional_restores = TRUE;
  c->restore_options = g_strdup ("restore-options");
  cr_assert (vss_component_set_restore_target (c, VSS_RT_DIRECTED, NULL));
  cr_assert (vss_component_set_restore_metadata (c, "restore-meta " ODD_TEXT, NULL));
  VssDirectedTarget *t = g_new0 (VssDirectedTarget, 1);
  t->source_path = g_strdup ("/var/db");
  t->source_filename = g_strdup ("a.db");
  t->source_ranges = g_strdup ("0:10");
  t->destination_path = g_strdup ("/restore/db");
  t->destination_filename = g_strdup ("a2.db");
  t->destination_ranges = g_strdup ("10:10");
  g_ptr_array_add (c->directed_targets, t);
  t = g_new0 (VssDirectedTarget, 1);
  t->source_path = g_strdup ("/var/db");
  t->source_filename = g_strdup ("b.db");
  t->destination_path = g_strdup ("/restore/db");
  t->destination_filename = g_strdup ("b2.db");
  g_ptr_array_add (c->directed_targets, t);
  VssWmFile *f = g_new0 (VssWmFile, 1);
  f->path = g_strdup ("/var/db");
  f->filespec = g_strdup ("*.db");
  f->recursive = TRUE;
  f->alternate_location = g_strdup ("/restore/new");
  g_ptr_array_add (c->new_targets, f);
  f = g_new0 (VssWmFile, 1);
  f->path = g_strdup ("/var/db");
  f->filespec = g_strdup ("*.log");
  f->alternate_location = g_strdup ("/restore/alt");
  g_ptr_array_add (c->alternate_location_mappings, f);
  c->file_restore_status = VSS_RS_FAILED;
  cr_assert (vss_component_set_pre_restore_failure_msg (c, "pre failed", NULL));
  cr_assert (vss_component_set_post_restore_failure_msg (c, "post failed " ODD_TEXT, NULL));
  c->writable = FALSE;
}

VssDocument *
doc_test_full_document (void)
{
  VssDocument *doc = vss_document_new ();
  doc->restore = TRUE;
  doc->backup_type = VSS_BT_DIFFERENTIAL;
  doc->select_components = TRUE;
  doc->bootable_state = TRUE;
  doc->partial_file_support = TRUE;
  doc->context = VSS_CTX_APP_ROLLBACK;
  doc->snapshot_set_id = g_strdup (DOC_TEST_SET_ID);
  VssBcdSnapshot *s = vss_document_add_snapshot (doc, "11111111-2222-4333-8444-555555555555",
                                                 "/", "copy");
  s->snapshot_path = g_strdup ("/run/vss/snapshots/1");
  vss_document_add_snapshot (doc, "11111111-2222-4333-8444-555555555556", "/srv", "copy");

  VssBcdWriter *a = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A,
                                                "directory");
  VssBcdWriter *b = vss_document_ensure_writer (doc, DOC_TEST_WRITER_B, DOC_TEST_INSTANCE_B,
                                                "database " ODD_TEXT);
  VssComponent *c1 = vss_bcd_writer_add_component (a, VSS_CT_FILEGROUP, "etc/app", "config", NULL);
  VssComponent *c2 = vss_bcd_writer_add_component (a, VSS_CT_DATABASE, NULL, "main", NULL);
  VssComponent *c3 = vss_bcd_writer_add_component (b, VSS_CT_DATABASE, "x\\y", "café", NULL);
  cr_assert (c1 && c2 && c3);
  fill_component (c1, 1);
  fill_component (c2, 2);
  fill_component (c3, 3);
  /* One component left at its defaults. */
  cr_assert_not_null (vss_bcd_writer_add_component (b, VSS_CT_FILEGROUP, NULL, "bare", NULL));
  return doc;
}

VssWriterMetadata *
doc_test_full_metadata (void)
{
  VssWriterMetadata *wm = vss_writer_metadata_new (DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A,
                                                   "directory", VSS_UT_SYSTEMSERVICE);
  cr_assert (vss_writer_metadata_set_backup_schema (
      wm, VSS_BS_DIFFERENTIAL | VSS_BS_LOG | VSS_BS_LAST_MODIFY, NULL));
  cr_assert (vss_writer_metadata_set_restore_method (wm, VSS_RME_STOP_RESTORE_START, "slapd",
                                                     "see " ODD_TEXT, VSS_WRE_IF_REPLACE_FAILS,
                                                     TRUE, NULL));
  cr_assert (vss_writer_metadata_add_component (wm, VSS_CT_DATABASE, "ldap", "main",
                                                "Main " ODD_TEXT, TRUE, FALSE, NULL));
  cr_assert (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, "config", NULL,
                                                FALSE, TRUE, NULL));
  cr_assert (vss_writer_metadata_add_database_files (wm, "ldap", "main", "/var/lib/ldap",
                                                     "data.mdb", NULL));
  cr_assert (vss_writer_metadata_add_database_log_files (wm, "ldap", "main", "/var/log/ldap",
                                                         "*.log", NULL));
  cr_assert (vss_writer_metadata_add_files_to_file_group (wm, NULL, "config", "/etc/ldap", "*",
                                                          TRUE, "/var/backup/ldap-etc", NULL));
  cr_assert (vss_writer_metadata_add_files_to_file_group (wm, NULL, "config", LATIN1_PATH,
                                                          "*.conf", FALSE, NULL, NULL));
  cr_assert (vss_writer_metadata_add_component_dependency (wm, "ldap", "main", DOC_TEST_WRITER_B,
                                                           "kdc", "realm", NULL));
  cr_assert (vss_writer_metadata_add_component_dependency (wm, NULL, "config", DOC_TEST_WRITER_B,
                                                           NULL, "keys", NULL));
  cr_assert (vss_writer_metadata_add_exclude_files (wm, "/var/lib/ldap", "*.tmp", TRUE, NULL));
  cr_assert (vss_writer_metadata_add_alternate_location_mapping (wm, "/var/lib/ldap", "*.mdb",
                                                                 FALSE, "/srv/ldap-restore",
                                                                 NULL));
  return wm;
}

/* ---- equality ---- */

/* Two strings that may be NULL are equal (both NULL, or the same text). */
#define assert_opt_str_eq(x, y)                                                     \
  cr_assert_eq (g_strcmp0 ((x), (y)), 0, "%s: \"%s\" != \"%s\"", #x, (x) ? (x) : "(null)", \
                (y) ? (y) : "(null)")

static void
assert_files_equal (GPtrArray *a, GPtrArray *b)
{
  cr_assert_eq (a->len, b->len);
  for (guint i = 0; i < a->len; i++) {
    const VssWmFile *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);
    cr_assert_str_eq (x->path, y->path);
    cr_assert_str_eq (x->filespec, y->filespec);
    cr_assert_eq (x->recursive, y->recursive);
    assert_opt_str_eq (x->alternate_location, y->alternate_location);
  }
}

static void
assert_component_equal (const VssComponent *x, const VssComponent *y)
{
  cr_assert_eq (x->type, y->type);
  assert_opt_str_eq (x->logical_path, y->logical_path);
  cr_assert_str_eq (x->name, y->name);
  cr_assert_eq (x->backup_succeeded, y->backup_succeeded);
  assert_opt_str_eq (x->backup_options, y->backup_options);
  assert_opt_str_eq (x->backup_stamp, y->backup_stamp);
  assert_opt_str_eq (x->previous_backup_stamp, y->previous_backup_stamp);
  assert_opt_str_eq (x->backup_metadata, y->backup_metadata);
  cr_assert_eq (x->partial_files->len, y->partial_files->len);
  for (guint i = 0; i < x->partial_files->len; i++) {
    const VssPartialFile *p = g_ptr_array_index (x->partial_files, i);
    const VssPartialFile *q = g_ptr_array_index (y->partial_files, i);
    cr_assert_str_eq (p->path, q->path);
    cr_assert_str_eq (p->filename, q->filename);
    assert_opt_str_eq (p->ranges, q->ranges);
    assert_opt_str_eq (p->metadata, q->metadata);
  }
  cr_assert_eq (x->differenced_files->len, y->differenced_files->len);
  for (guint i = 0; i < x->differenced_files->len; i++) {
    const VssDifferencedFile *p = g_ptr_array_index (x->differenced_files, i);
    const VssDifferencedFile *q = g_ptr_array_index (y->differenced_files, i);
    cr_assert_str_eq (p->path, q->path);
    cr_assert_str_eq (p->filespec, q->filespec);
    cr_assert_eq (p->recursive, q->recursive);
    cr_assert_eq (p->last_modify_time_usec, q->last_modify_time_usec);
  }
  cr_assert_eq (x->selected_for_restore, y->selected_for_restore);
  cr_assert_eq (x->additional_restores, y->additional_restores);
  assert_opt_str_eq (x->restore_options, y->restore_options);
  cr_assert_eq (x->restore_target, y->restore_target);
  assert_opt_str_eq (x->restore_metadata, y->restore_metadata);
  cr_assert_eq (x->directed_targets->len, y->directed_targets->len);
  for (guint i = 0; i < x->directed_targets->len; i++) {
    const VssDirectedTarget *p = g_ptr_array_index (x->directed_targets, i);
    const VssDirectedTarget *q = g_ptr_array_index (y->directed_targets, i);
    cr_assert_str_eq (p->source_path, q->source_path);
    cr_assert_str_eq (p->source_filename, q->source_filename);
    assert_opt_str_eq (p->source_ranges, q->source_ranges);
    cr_assert_str_eq (p->destination_path, q->destination_path);
    cr_assert_str_eq (p->destination_filename, q->destination_filename);
    assert_opt_str_eq (p->destination_ranges, q->destination_ranges);
  }
  assert_files_equal (x->new_targets, y->new_targets);
  assert_files_equal (x->alternate_location_mappings, y->alternate_location_mappings);
  cr_assert_eq (x->file_restore_status, y->file_restore_status);
  assert_opt_str_eq (x->pre_restore_failure_msg, y->pre_restore_failure_msg);
  assert_opt_str_eq (x->post_restore_failure_msg, y->post_restore_failure_msg);
}

void
doc_test_assert_documents_equal (const VssDocument *a, const VssDocument *b)
{
  cr_assert_eq (a->version, b->version);
  cr_assert_eq (a->restore, b->restore);
  cr_assert_eq (a->backup_type, b->backup_type);
  cr_assert_eq (a->select_components, b->select_components);
  cr_assert_eq (a->bootable_state, b->bootable_state);
  cr_assert_eq (a->partial_file_support, b->partial_file_support);
  cr_assert_eq (a->context, b->context);
  assert_opt_str_eq (a->snapshot_set_id, b->snapshot_set_id);
  cr_assert_eq (a->snapshots->len, b->snapshots->len);
  for (guint i = 0; i < a->snapshots->len; i++) {
    const VssBcdSnapshot *x = g_ptr_array_index (a->snapshots, i);
    const VssBcdSnapshot *y = g_ptr_array_index (b->snapshots, i);
    cr_assert_str_eq (x->snapshot_id, y->snapshot_id);
    cr_assert_str_eq (x->original_path, y->original_path);
    assert_opt_str_eq (x->snapshot_path, y->snapshot_path);
    cr_assert_str_eq (x->provider, y->provider);
  }
  cr_assert_eq (a->writers->len, b->writers->len);
  for (guint i = 0; i < a->writers->len; i++) {
    const VssBcdWriter *x = g_ptr_array_index (a->writers, i);
    const VssBcdWriter *y = g_ptr_array_index (b->writers, i);
    cr_assert_str_eq (x->writer_id, y->writer_id);
    cr_assert_str_eq (x->instance_id, y->instance_id);
    cr_assert_str_eq (x->writer_name, y->writer_name);
    cr_assert_eq (x->components->len, y->components->len);
    for (guint j = 0; j < x->components->len; j++)
      assert_component_equal (g_ptr_array_index (x->components, j),
                              g_ptr_array_index (y->components, j));
  }
}

void
doc_test_assert_metadata_equal (const VssWriterMetadata *a, const VssWriterMetadata *b)
{
  cr_assert_str_eq (a->writer_id, b->writer_id);
  cr_assert_str_eq (a->instance_id, b->instance_id);
  cr_assert_str_eq (a->writer_name, b->writer_name);
  cr_assert_eq (a->usage_type, b->usage_type);
  cr_assert_eq (a->backup_schema, b->backup_schema);
  cr_assert_eq (a->restore_method, b->restore_method);
  assert_opt_str_eq (a->restore_service, b->restore_service);
  assert_opt_str_eq (a->restore_user_procedure, b->restore_user_procedure);
  cr_assert_eq (a->writer_restore, b->writer_restore);
  cr_assert_eq (a->reboot_required, b->reboot_required);
  cr_assert_eq (a->components->len, b->components->len);
  for (guint i = 0; i < a->components->len; i++) {
    const VssWmComponent *x = g_ptr_array_index (a->components, i);
    const VssWmComponent *y = g_ptr_array_index (b->components, i);
    cr_assert_eq (x->type, y->type);
    assert_opt_str_eq (x->logical_path, y->logical_path);
    cr_assert_str_eq (x->name, y->name);
    assert_opt_str_eq (x->caption, y->caption);
    cr_assert_eq (x->selectable, y->selectable);
    cr_assert_eq (x->selectable_for_restore, y->selectable_for_restore);
    assert_files_equal (x->files, y->files);
    assert_files_equal (x->database_files, y->database_files);
    assert_files_equal (x->log_files, y->log_files);
    cr_assert_eq (x->dependencies->len, y->dependencies->len);
    for (guint j = 0; j < x->dependencies->len; j++) {
      const VssWmDependency *p = g_ptr_array_index (x->dependencies, j);
      const VssWmDependency *q = g_ptr_array_index (y->dependencies, j);
      cr_assert_str_eq (p->writer_id, q->writer_id);
      assert_opt_str_eq (p->logical_path, q->logical_path);
      cr_assert_str_eq (p->name, q->name);
    }
  }
  assert_files_equal (a->exclude_files, b->exclude_files);
  assert_files_equal (a->alternate_location_mappings, b->alternate_location_mappings);
}

char *
doc_test_read_data (const char *name, gsize *length)
{
  g_autofree char *path = g_build_filename (VSS_TEST_DATA_DIR, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  cr_assert (g_file_get_contents (path, &text, length, &error), "%s: %s", path,
             error ? error->message : "");
  return text;
}

/* ---- mutating documents ---- */

static void
member_free (DocTestMember *m)
{
  g_free (m->path);
  g_free (m);
}

static void
collect (json_object *node, const char *path, const char *key, GPtrArray *out)
{
  if (json_object_is_type (node, json_type_object)) {
    json_object_object_foreach (node, k, v) {
      DocTestMember *m = g_new0 (DocTestMember, 1);
      m->path = *path ? g_strconcat (path, ".", k, NULL) : g_strdup (k);
      m->value = v;
      m->key = k;
      g_ptr_array_add (out, m);
      collect (v, m->path, k, out);
    }
  } else if (json_object_is_type (node, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length (node); i++) {
      DocTestMember *m = g_new0 (DocTestMember, 1);
      m->path = g_strdup_printf ("%s[%zu]", path, i);
      m->value = json_object_array_get_idx (node, i);
      m->in_array = TRUE;
      m->key = key;
      g_ptr_array_add (out, m);
      collect (m->value, m->path, key, out);
    }
  }
}

GPtrArray *
doc_test_members (json_object *root)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  collect (root, "", NULL, out);
  return out;
}

void
doc_test_set (json_object *root, const char *path, json_object *value, gboolean remove)
{
  json_object *node = root;
  const char *p = path;

  while (*p) {
    if (*p == '.')
      p++;
    if (*p == '[') {
      char *end = NULL;
      size_t index = strtoul (p + 1, &end, 10);
      cr_assert (end && *end == ']', "bad path %s", path);
      p = end + 1;
      if (*p == '\0') {
        cr_assert_not (remove, "cannot remove array element %s", path);
        json_object_array_put_idx (node, index, value);
        return;
      }
      node = json_object_array_get_idx (node, index);
    } else {
      size_t n = strcspn (p, ".[");
      g_autofree char *key = g_strndup (p, n);
      p += n;
      if (*p == '\0') {
        if (remove)
          json_object_object_del (node, key);
        else
          json_object_object_add (node, key, value);
        return;
      }
      cr_assert (json_object_object_get_ex (node, key, &node), "no %s in %s", key, path);
    }
    cr_assert_not_null (node, "bad path %s", path);
  }
}

json_object *
doc_test_load_tree (const char *name)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data (name, &length);
  json_object *tree = json_tokener_parse (text);
  cr_assert_not_null (tree);
  return tree;
}

GError *
doc_test_load_error (gboolean wm, const char *text, gsize length)
{
  GError *error = NULL;

  if (wm) {
    VssWriterMetadata *m = vss_writer_metadata_from_json (text, &error);
    cr_assert ((m == NULL) == (error != NULL));
    vss_writer_metadata_free (m);
  } else {
    VssDocument *d = vss_document_from_json (text, length, &error);
    cr_assert ((d == NULL) == (error != NULL));
    vss_document_free (d);
  }
  if (error != NULL)
    cr_assert (error->domain == VSS_ERROR && error->code == VSS_ERROR_INVALID_DOCUMENT,
               "wrong error %d: %s", error->code, error->message);
  return error;
}

void
doc_test_check_cases (gboolean wm, const char *name, const DocTestCase *cases, gsize n_cases)
{
  for (gsize i = 0; i < n_cases; i++) {
    json_object *tree = doc_test_load_tree (name);
    json_object *value = NULL;
    if (cases[i].value != NULL) {
      value = json_tokener_parse (cases[i].value);
      cr_assert (value != NULL || g_str_equal (cases[i].value, "null"), "%s", cases[i].value);
    }
    doc_test_set (tree, cases[i].path, value, cases[i].value == NULL);
    const char *text = json_object_to_json_string (tree);
    g_autoptr(GError) error = doc_test_load_error (wm, text, strlen (text));
    if (cases[i].message == NULL)
      cr_assert_null (error, "case %zu: %s", i, error ? error->message : "");
    else {
      cr_assert_not_null (error, "case %zu (%s) loaded", i, cases[i].path);
      cr_assert_str_eq (error->message, cases[i].message, "case %zu", i);
    }
    json_object_put (tree);
  }
}

/* ---- table-driven checks over every member ---- */

static const char *
type_name (json_object *value)
{
  switch (json_object_get_type (value)) {
  case json_type_null: return "null";
  case json_type_boolean: return "a boolean";
  case json_type_double: return "a number";
  case json_type_int: return "an integer";
  case json_type_object: return "an object";
  case json_type_array: return "an array";
  case json_type_string: return "a string";
  default: return "?";
  }
}

/* Loads @tree with @path set to @value (NULL: removed); the error message,
 * or NULL when it loaded. */
static char *
mutated_message (gboolean wm, json_object *tree, const char *path, json_object *value,
                 gboolean remove)
{
  json_object *copy = NULL;
  cr_assert_eq (json_object_deep_copy (tree, &copy, NULL), 0);
  doc_test_set (copy, path, value, remove);
  const char *text = json_object_to_json_string_ext (copy, JSON_C_TO_STRING_PLAIN);
  GError *error = doc_test_load_error (wm, text, strlen (text));
  json_object_put (copy);
  char *message = error ? g_strdup (error->message) : NULL;
  g_clear_error (&error);
  return message;
}

static void
expect_message (gboolean wm, json_object *tree, const char *path, json_object *value,
                const char *expected)
{
  g_autofree char *message = mutated_message (wm, tree, path, value, FALSE);
  cr_assert_not_null (message, "%s: mutation loaded, expected \"%s\"", path, expected);
  cr_assert_str_eq (message, expected);
}

guint
doc_test_check_wrong_types (gboolean wm, json_object *tree)
{
  g_autoptr(GPtrArray) members = doc_test_members (tree);
  guint checked = 0;

  for (guint i = 0; i < members->len; i++) {
    const DocTestMember *m = g_ptr_array_index (members, i);
    json_object *replacements[2] = {
      json_object_is_type (m->value, json_type_string) ? json_object_new_int (42)
                                                       : json_object_new_string ("x"),
      NULL,
    };
    for (guint r = 0; r < G_N_ELEMENTS (replacements); r++) {
      g_autofree char *expected = g_strdup_printf ("%s: expected %s, got %s", m->path,
                                                   type_name (m->value),
                                                   type_name (replacements[r]));
      expect_message (wm, tree, m->path, replacements[r], expected);
      checked++;
    }
  }
  return checked;
}

static const char *const optional_keys[] = {
  "logical_path", "caption", "alternate_location", "service", "user_procedure",
  "snapshot_set_id", "snapshot_path", "backup_options", "backup_stamp",
  "previous_backup_stamp", "backup_metadata", "restore_options", "restore_metadata",
  "pre_restore_failure_msg", "post_restore_failure_msg", "ranges", "metadata",
  "source_ranges", "destination_ranges", "additional_restores", "window", NULL
};

guint
doc_test_check_removals (gboolean wm, json_object *tree)
{
  g_autoptr(GPtrArray) members = doc_test_members (tree);
  guint checked = 0;

  for (guint i = 0; i < members->len; i++) {
    const DocTestMember *m = g_ptr_array_index (members, i);
    if (m->in_array)
      continue;
    gboolean optional = json_object_is_type (m->value, json_type_array) ||
                        g_strv_contains (optional_keys, m->key);
    g_autofree char *message = mutated_message (wm, tree, m->path, NULL, TRUE);
    g_autofree char *expected = g_strdup_printf ("%s: required", m->path);
    if (wm && g_str_equal (m->path, "restore_method.service"))
      cr_assert_str_eq (message, "restore_method.service: required by method stop-restore-start");
    else if (optional)
      cr_assert_null (message, "%s is optional, yet: %s", m->path, message);
    else
      cr_assert_str_eq (message, expected);
    checked++;
  }
  return checked;
}

guint
doc_test_check_unknown_fields (gboolean wm, json_object *tree)
{
  g_autoptr(GPtrArray) members = doc_test_members (tree);
  guint checked = 0;

  /* The top level, then every object below it. */
  expect_message (wm, tree, "colour", json_object_new_int (1),
                  "top level: unknown field \"colour\" (format version 1 has no such field)");
  for (guint i = 0; i < members->len; i++) {
    const DocTestMember *m = g_ptr_array_index (members, i);
    if (!json_object_is_type (m->value, json_type_object))
      continue;
    g_autofree char *path = g_strconcat (m->path, ".colour", NULL);
    g_autofree char *expected = g_strdup_printf (
        "%s: unknown field \"colour\" (format version 1 has no such field)", m->path);
    expect_message (wm, tree, path, json_object_new_int (1), expected);
    checked++;
  }
  return checked + 1;
}

typedef struct {
  const char *keys;      /* space-separated member keys */
  const char *value;     /* the bad value */
  const char *message;   /* expected after "<path>: " ("%s" = quoted value) */
} BadValue;

static const BadValue bad_values[] = {
  { "writer_id instance_id snapshot_id snapshot_set_id", "not-a-uuid",
    "must be a UUID (8-4-4-4-12 hex digits), got \"not-a-uuid\"" },
  { "writer_id instance_id snapshot_id snapshot_set_id", "6f1c2d3e-0000-4000-8000-00000000000g",
    "must be a UUID (8-4-4-4-12 hex digits), got \"6f1c2d3e-0000-4000-8000-00000000000g\"" },
  { "path original_path snapshot_path alternate_location destination new_path source_path "
    "destination_path", "relative/dir",
    "must be an absolute path (starting with '/'), got \"relative/dir\"" },
  { "path original_path snapshot_path alternate_location destination new_path source_path "
    "destination_path", "", "must not be empty, got \"\"" },
  { "name", "a/b", "must not contain '/', got \"a/b\"" },
  { "name", "a\\b", "must not contain '\\', got \"a\\b\"" },
  { "name writer_name provider", "", "must not be empty, got \"\"" },
  { "filespec filename source_filename destination_filename", "sub/*.c",
    "must not contain '/' (directories belong in the path), got \"sub/*.c\"" },
  { "filespec filename source_filename destination_filename", "",
    "must not be empty (use \"*\" for every file), got \"\"" },
};

static const char *const enum_keys[] = {
  "kind", "backup_type", "context", "type", "restore_target", "file_restore_status",
  "usage_type", "method", "writer_restore", NULL
};

static gboolean
key_in (const char *keys, const char *key)
{
  g_auto(GStrv) list = g_strsplit (keys, " ", -1);
  return key != NULL && g_strv_contains ((const char *const *) list, key);
}

guint
doc_test_check_bad_values (gboolean wm, json_object *tree)
{
  g_autoptr(GPtrArray) members = doc_test_members (tree);
  guint checked = 0;

  for (guint i = 0; i < members->len; i++) {
    const DocTestMember *m = g_ptr_array_index (members, i);
    if (!json_object_is_type (m->value, json_type_string))
      continue;
    for (gsize b = 0; b < G_N_ELEMENTS (bad_values); b++) {
      if (m->in_array || !key_in (bad_values[b].keys, m->key))
        continue;
      g_autofree char *expected = g_strdup_printf ("%s: %s", m->path, bad_values[b].message);
      expect_message (wm, tree, m->path, json_object_new_string (bad_values[b].value), expected);
      checked++;
    }
    if ((!m->in_array && g_strv_contains (enum_keys, m->key)) ||
        (m->in_array && g_strcmp0 (m->key, "backup_schema") == 0)) {
      g_autofree char *message = mutated_message (wm, tree, m->path,
                                                  json_object_new_string ("bogus"), FALSE);
      g_autofree char *prefix = g_strdup_printf ("%s: unknown value \"bogus\" (one of: ", m->path);
      cr_assert_not_null (message, "%s accepted \"bogus\"", m->path);
      cr_assert (g_str_has_prefix (message, prefix), "%s", message);
      checked++;
    }
  }
  return checked;
}

guint
doc_test_check_nul_strings (gboolean wm, json_object *tree)
{
  g_autoptr(GPtrArray) members = doc_test_members (tree);
  guint checked = 0;

  for (guint i = 0; i < members->len; i++) {
    const DocTestMember *m = g_ptr_array_index (members, i);
    if (!json_object_is_type (m->value, json_type_string))
      continue;
    g_autofree char *expected = g_strdup_printf ("%s: must not contain a NUL byte", m->path);
    expect_message (wm, tree, m->path, json_object_new_string_len ("/a\0b", 4), expected);
    checked++;
  }
  return checked;
}

void
doc_test_check_full (gboolean wm, DocTestCheck check, guint more_than)
{
  json_object *tree;

  if (wm) {
    g_autoptr(VssWriterMetadata) metadata = doc_test_full_metadata ();
    tree = vss_writer_metadata_to_json_object (metadata);
  } else {
    g_autoptr(VssDocument) doc = doc_test_full_document ();
    tree = vss_document_to_json_object (doc);
  }
  cr_assert_gt (check (wm, tree), more_than);
  json_object_put (tree);
}
