/* fuzz-mutate.c — see fuzz-mutate.h.  Hostile values are what a set's
 * reader must survive: sizes past the stored data, paths that climb out
 * or pass through symlinks, ids that do not exist, wrong types. */
#include "fuzz-mutate.h"

#include <json-c/json.h>
#include <string.h>

#define MAX_NODES 4096

typedef struct {
  json_object *parent;
  char *key;          /* NULL for an array element */
  gsize index;
  json_object *value;
} Node;

static void
node_free (Node *n)
{
  g_free (n->key);
  g_free (n);
}

static void
collect (json_object *obj, GPtrArray *out)
{
  if (out->len >= MAX_NODES)
    return;
  if (json_object_is_type (obj, json_type_object)) {
    json_object_object_foreach (obj, key, value) {
      Node *n = g_new0 (Node, 1);
      *n = (Node) { obj, g_strdup (key), 0, value };
      g_ptr_array_add (out, n);
      collect (value, out);
    }
  } else if (json_object_is_type (obj, json_type_array)) {
    for (gsize i = 0; i < json_object_array_length (obj); i++) {
      Node *n = g_new0 (Node, 1);
      *n = (Node) { obj, NULL, i, json_object_array_get_idx (obj, i) };
      g_ptr_array_add (out, n);
      collect (n->value, out);
    }
  }
}

static json_object *
hostile_string (GRand *rand)
{
  static const char *const strings[] = {
    "", "/", ".", "..", "/data", "/data/a.txt", "/data/sub", "/data/sub/b.txt", "/data/out/x",
    "/data/out", "/data/../../etc", "/data/sub/a-link", "/srv/db", "/srv/db/main.txt",
    "/srv/db/sub/x.txt", "/etc/passwd", "files/0/data/a.txt", "files/1/srv/db/main.txt",
    "files/0/../../x", "files/0/data/out/x", "files", "path:/data", "path:/", "w/db/main",
    "file", "dir", "symlink", "full", "incremental", "differential", "log", "copy",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d11", "../../outside", "/tmp", "user.x", "AAAA",
  };
  guint i = g_rand_int_range (rand, 0, G_N_ELEMENTS (strings) + 2);
  if (i < G_N_ELEMENTS (strings))
    return json_object_new_string (strings[i]);
  if (i == G_N_ELEMENTS (strings)) {
    g_autofree char *uuid = g_uuid_string_random ();
    return json_object_new_string (uuid);
  }
  g_autofree char *lng = g_strnfill (g_rand_int_range (rand, 255, 5000), 'x');
  return json_object_new_string (lng);
}

static json_object *
hostile_value (GRand *rand)
{
  static const gint64 ints[] = {
    0, -1, 1, 7, 255, 420, 4095, 4096, G_MAXINT32, G_GINT64_CONSTANT (4294967296),
    G_GINT64_CONSTANT (9007199254740992), G_GINT64_CONSTANT (4611686018427387904),
    G_MAXINT64, G_MININT64,
  };
  switch (g_rand_int_range (rand, 0, 6)) {
  case 0:
  case 1:
    return json_object_new_int64 (ints[g_rand_int_range (rand, 0, G_N_ELEMENTS (ints))]);
  case 2:
  case 3:
    return hostile_string (rand);
  case 4:
    return g_rand_boolean (rand) ? json_object_new_object () : json_object_new_array ();
  default:
    return g_rand_boolean (rand) ? NULL : json_object_new_boolean (TRUE);
  }
}

static void
put_value (Node *n, json_object *value)
{
  if (n->key != NULL)
    json_object_object_add (n->parent, n->key, value);
  else
    json_object_array_put_idx (n->parent, n->index, value);
}

static void
mutate_tree (GRand *rand, json_object *top)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  collect (top, nodes);
  if (nodes->len == 0)
    return;
  Node *n = g_ptr_array_index (nodes, g_rand_int_range (rand, 0, nodes->len));
  switch (g_rand_int_range (rand, 0, 5)) {
  case 0:
  case 1:
    put_value (n, hostile_value (rand));
    break;
  case 2: {   /* another node's value here: duplicates, swapped fields */
    Node *other = g_ptr_array_index (nodes, g_rand_int_range (rand, 0, nodes->len));
    json_object *copy = NULL;
    if (json_object_deep_copy (other->value, &copy, NULL) == 0)
      put_value (n, copy);
    break;
  }
  case 3:
    if (n->key != NULL)
      json_object_object_del (n->parent, n->key);
    else
      json_object_array_del_idx (n->parent, n->index, 1);
    break;
  default: {  /* an array element twice, maybe edited later */
    json_object *copy = NULL;
    if (n->key == NULL && json_object_deep_copy (n->value, &copy, NULL) == 0)
      json_object_array_add (n->parent, copy);
    break;
  }
  }
}

static void
mutate_bytes (GRand *rand, GString *text)
{
  if (text->len == 0)
    return;
  if (g_rand_int_range (rand, 0, 4) == 0) {
    g_string_truncate (text, g_rand_int_range (rand, 0, text->len));
    return;
  }
  for (guint i = g_rand_int_range (rand, 1, 4); i > 0; i--)
    text->str[g_rand_int_range (rand, 0, text->len)] = (char) g_rand_int_range (rand, 0, 256);
}

/* One JSON document, its tree mutated a few times. */
static void
mutate_document (GRand *rand, const char *seed, GString *text)
{
  json_object *top = json_tokener_parse (seed);
  if (top == NULL) {
    g_string_assign (text, seed);
    return;
  }
  for (guint i = g_rand_int_range (rand, 1, 4); i > 0; i--)
    mutate_tree (rand, top);
  g_string_assign (text, json_object_to_json_string_ext (top, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (top);
}

static gboolean
is_end_line (const char *line)
{
  return g_str_has_prefix (line, "{\"end\":");
}

void
fuzz_reseal_lines (GString *text)
{
  g_auto(GStrv) lines = g_strsplit (text->str, "\n", -1);
  g_string_truncate (text, 0);
  guint count = 0;
  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] != '\0' && !is_end_line (lines[i])) {
      g_string_append_printf (text, "%s\n", lines[i]);
      count++;
    }
  }
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text->str, text->len);
  g_string_append_printf (text, "{\"end\":{\"entries\":%u,\"sha256\":\"%s\"}}\n",
                          count > 0 ? count - 1 : 0, sha);
}

/* A version 4 manifest: some lines' trees mutated, a line dropped or
 * doubled, and mostly a closing line that matches again, so that the
 * mutations reach the checks behind it. */
static void
mutate_lines (GRand *rand, const char *seed, GString *text)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) split = g_strsplit (seed, "\n", -1);
  for (guint i = 0; split[i] != NULL; i++)
    if (split[i][0] != '\0')
      g_ptr_array_add (lines, g_strdup (split[i]));
  for (guint n = g_rand_int_range (rand, 1, 4); n > 0 && lines->len > 0; n--) {
    guint i = g_rand_int_range (rand, 0, lines->len);
    GString *one = g_string_new (NULL);
    switch (g_rand_int_range (rand, 0, 6)) {
    case 0:
      g_ptr_array_remove_index (lines, i);
      break;
    case 1:
      g_ptr_array_insert (lines, g_rand_int_range (rand, 0, lines->len + 1),
                          g_strdup (lines->pdata[i]));
      break;
    default:
      mutate_document (rand, lines->pdata[i], one);
      g_free (lines->pdata[i]);
      lines->pdata[i] = g_strdup (one->str);
    }
    g_string_free (one, TRUE);
  }
  g_string_truncate (text, 0);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) lines->pdata[i]);
  if (g_rand_int_range (rand, 0, 4) != 0)
    fuzz_reseal_lines (text);
}

char *
fuzz_mutate (GRand *rand, const char *seed, gsize *out_len)
{
  g_autoptr(GString) text = g_string_new (NULL);
  if (strstr (seed, "\n{\"end\":") != NULL)
    mutate_lines (rand, seed, text);
  else
    mutate_document (rand, seed, text);
  if (g_rand_int_range (rand, 0, 5) == 0)
    mutate_bytes (rand, text);
  *out_len = text->len;
  return g_string_free (g_steal_pointer (&text), FALSE);
}
