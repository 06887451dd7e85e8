/* test-json.c — the strict JSON readers and helpers of vss-json.c that
 * other folders use directly (event requests and replies). */
#include <criterion/criterion.h>

#include "doc-test.h"

static json_object *
parse (const char *text)
{
  json_object *obj = json_tokener_parse (text);
  cr_assert_not_null (obj, "%s", text);
  return obj;
}

Test (json, paths)
{
  g_autofree char *a = vss_json_path_index (NULL, "writers", 1);
  g_autofree char *b = vss_json_path_index ("writers[1]", "components", 0);
  g_autofree char *c = vss_json_path_key ("", "name");
  g_autofree char *d = vss_json_path_key (NULL, "name");
  g_autofree char *e = vss_json_path_key ("writers[1].components[0]", "name");
  g_autofree char *f = vss_json_path_index ("", "writers", 12);

  cr_assert_str_eq (a, "writers[1]");
  cr_assert_str_eq (b, "writers[1].components[0]");
  cr_assert_str_eq (c, "name");
  cr_assert_str_eq (d, "name");
  cr_assert_str_eq (e, "writers[1].components[0].name");
  cr_assert_str_eq (f, "writers[12]");
}

Test (json, uuid_is_valid)
{
  cr_assert (vss_uuid_is_valid ("6f1c2d3e-0000-4000-8000-000000000001"));
  cr_assert (vss_uuid_is_valid ("6F1C2D3E-ABCD-4000-8000-00000000000F"));
  cr_assert_not (vss_uuid_is_valid (NULL));
  cr_assert_not (vss_uuid_is_valid (""));
  cr_assert_not (vss_uuid_is_valid ("6f1c2d3e00004000800000000000000001"));
  cr_assert_not (vss_uuid_is_valid ("6f1c2d3e-0000-4000-8000-0000000000011"));
  cr_assert_not (vss_uuid_is_valid ("6f1c2d3e-0000-4000-8000-00000000000"));
  cr_assert_not (vss_uuid_is_valid ("6f1c2d3e-0000-4000-8000-00000000000g"));
  cr_assert_not (vss_uuid_is_valid ("6f1c2d3e+0000-4000-8000-000000000001"));
  cr_assert_not (vss_uuid_is_valid ("{6f1c2d3e-0000-4000-8000-000000000001}"));
}

Test (json, add_string_skips_null)
{
  json_object *obj = json_object_new_object ();
  vss_json_add_string (obj, "a", "x");
  vss_json_add_string (obj, "b", NULL);
  cr_assert_str_eq (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN), "{\"a\":\"x\"}");
  json_object_put (obj);
}

Test (json, readers_missing_optional_leave_out_alone)
{
  json_object *obj = parse ("{}");
  char *s = NULL;
  gboolean b = TRUE;
  gint64 i = 7;
  json_object *a = (json_object *) 0x1;
  int e = 3;

  cr_assert (vss_json_read_string (obj, "r", "s", FALSE, &s, NULL));
  cr_assert (vss_json_read_bool (obj, "r", "b", FALSE, &b, NULL));
  cr_assert (vss_json_read_int64 (obj, "r", "i", FALSE, &i, NULL));
  cr_assert (vss_json_read_array (obj, "r", "a", FALSE, &a, NULL));
  cr_assert (vss_json_read_object (obj, "r", "o", FALSE, &a, NULL));
  cr_assert (vss_json_read_enum (obj, "r", "e", FALSE, vss_backup_type_names, &e, NULL));
  cr_assert_null (s);
  cr_assert (b);
  cr_assert_eq (i, 7);
  cr_assert_eq (a, (json_object *) 0x1);
  cr_assert_eq (e, 3);
  json_object_put (obj);
}

Test (json, readers_required_and_types)
{
  json_object *obj = parse ("{\"s\": \"text\", \"b\": false, \"i\": -12, \"a\": [1], \"o\": {},"
                            " \"e\": \"log\", \"n\": null}");
  g_autofree char *s = NULL;
  gboolean b = TRUE;
  gint64 i = 0;
  json_object *a = NULL, *o = NULL;
  int e = 0;
  GError *error = NULL;

  cr_assert (vss_json_read_string (obj, "req", "s", TRUE, &s, NULL));
  cr_assert (vss_json_read_bool (obj, "req", "b", TRUE, &b, NULL));
  cr_assert (vss_json_read_int64 (obj, "req", "i", TRUE, &i, NULL));
  cr_assert (vss_json_read_array (obj, "req", "a", TRUE, &a, NULL));
  cr_assert (vss_json_read_object (obj, "req", "o", TRUE, &o, NULL));
  cr_assert (vss_json_read_enum (obj, "req", "e", TRUE, vss_backup_type_names, &e, NULL));
  cr_assert_str_eq (s, "text");
  cr_assert_not (b);
  cr_assert_eq (i, -12);
  cr_assert_eq (json_object_array_length (a), 1);
  cr_assert (json_object_is_type (o, json_type_object));
  cr_assert_eq (e, VSS_BT_LOG);

  cr_assert_not (vss_json_read_string (obj, "req", "missing", TRUE, &s, &error));
  cr_assert_str_eq (error->message, "req.missing: required");
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  g_clear_error (&error);
  cr_assert_not (vss_json_read_bool (obj, "req", "n", FALSE, &b, &error));
  cr_assert_str_eq (error->message, "req.n: expected a boolean, got null");
  g_clear_error (&error);
  cr_assert_not (vss_json_read_int64 (obj, "req", "s", TRUE, &i, &error));
  cr_assert_str_eq (error->message, "req.s: expected an integer, got a string");
  g_clear_error (&error);
  cr_assert_not (vss_json_read_array (obj, NULL, "o", TRUE, &a, &error));
  cr_assert_str_eq (error->message, "o: expected an array, got an object");
  g_clear_error (&error);
  cr_assert_not (vss_json_read_object (obj, "req", "a", TRUE, &o, &error));
  cr_assert_str_eq (error->message, "req.a: expected an object, got an array");
  g_clear_error (&error);
  cr_assert_not (vss_json_read_enum (obj, "req", "s", TRUE, vss_writer_failure_names, &e,
                                     &error));
  cr_assert_str_eq (error->message, "req.s: unknown value \"text\" (one of: inconsistent-snapshot, "
                                    "out-of-resources, timeout, retryable, non-retryable, "
                                    "not-responding, none)");
  g_clear_error (&error);
  /* A string read replaces (and frees) what *out held. */
  cr_assert (vss_json_read_string (obj, "req", "e", TRUE, &s, NULL));
  cr_assert_str_eq (s, "log");
  json_object_put (obj);
}
