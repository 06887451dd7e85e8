/* doc-test.h — fixtures shared by the document tests. */
#pragma once

#include "document/vss-document-private.h"

#define DOC_TEST_WRITER_A "6f1c2d3e-0000-4000-8000-000000000001"
#define DOC_TEST_INSTANCE_A "0b7f4c6a-1111-4aaa-9bbb-000000000001"
#define DOC_TEST_WRITER_B "6f1c2d3e-0000-4000-8000-000000000002"
#define DOC_TEST_INSTANCE_B "0b7f4c6a-1111-4aaa-9bbb-000000000002"
#define DOC_TEST_SET_ID "9a8b7c6d-5e4f-4321-8fed-cba987654321"

/* A document with every field set, several of each element, and strings
 * with quotes, backslashes, control characters, UTF-8 and non-UTF-8 bytes. */
VssDocument *doc_test_full_document (void);
/* Writer metadata with every field set, built through the add functions. */
VssWriterMetadata *doc_test_full_metadata (void);

/* Field-by-field equality (including every array element). */
void doc_test_assert_documents_equal (const VssDocument *a, const VssDocument *b);
void doc_test_assert_metadata_equal (const VssWriterMetadata *a, const VssWriterMetadata *b);

/* The contents of tests/data/bcd/@name (asserts it exists). */
char *doc_test_read_data (const char *name, gsize *length);

/* Asserts @err is a VSS_ERROR with @code_ whose message contains @substring
 * (a criterion test includes <criterion/criterion.h> and <string.h>). */
#define assert_error(err, code_, substring)                                          \
  do {                                                                               \
    cr_assert_not_null ((err), "expected an error");                                \
    cr_assert_eq ((err)->domain, VSS_ERROR);                                         \
    cr_assert_eq ((err)->code, (code_), "code %d, message: %s", (err)->code,        \
                  (err)->message);                                                   \
    cr_assert_not_null (strstr ((err)->message, (substring)), "message: %s",       \
                        (err)->message);                                             \
  } while (0)

/* ---- mutating documents for table-driven error tests ---- */

typedef struct {
  char *path;          /* "writers[0].components[1].name" */
  json_object *value;  /* borrowed from the walked tree */
  gboolean in_array;   /* an array element (else an object member) */
  const char *key;     /* the member's key, or the array's key for elements */
} DocTestMember;

/* Every object member and array element under @root, depth first. */
GPtrArray *doc_test_members (json_object *root);
/* Replaces the value at @path (taking @value; NULL is JSON null), or
 * removes the object member when @remove. */
void doc_test_set (json_object *root, const char *path, json_object *value, gboolean remove);
/* Parses fixture @name into a json-c tree. */
json_object *doc_test_load_tree (const char *name);
/* Loads @text as a BCD (or writer metadata when @wm); returns the error,
 * or NULL when it loaded (the object is freed). */
GError *doc_test_load_error (gboolean wm, const char *text, gsize length);

/* One hand-written mutation of a fixture and the exact message it gives. */
typedef struct {
  const char *path;     /* member to change */
  const char *value;    /* JSON text of the new value; NULL removes */
  const char *message;  /* NULL: the mutation still loads */
} DocTestCase;

/* Loads fixture @name with each of @cases applied (alone) as a BCD (or
 * writer metadata when @wm) and asserts its message. */
void doc_test_check_cases (gboolean wm, const char *name, const DocTestCase *cases,
                           gsize n_cases);

/* Table-driven checks over every member of @tree (a valid document, BCD
 * or writer metadata when @wm): each mutates one member in a copy and
 * asserts the exact message naming its path.  Each returns how many
 * mutations it checked. */
guint doc_test_check_wrong_types (gboolean wm, json_object *tree);
guint doc_test_check_removals (gboolean wm, json_object *tree);
guint doc_test_check_unknown_fields (gboolean wm, json_object *tree);
guint doc_test_check_bad_values (gboolean wm, json_object *tree);
guint doc_test_check_nul_strings (gboolean wm, json_object *tree);

typedef guint (*DocTestCheck) (gboolean wm, json_object *tree);
/* Runs @check over the JSON tree of doc_test_full_document (or of
 * doc_test_full_metadata when @wm) and asserts it checked more than
 * @more_than mutations. */
void doc_test_check_full (gboolean wm, DocTestCheck check, guint more_than);
