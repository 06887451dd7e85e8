/* vss-document.c — the Backup Components Document (BCD): what a backup
 * recorded (type, snapshot set, per writer the explicitly added
 * components), kept by the requester and handed to writers, and its JSON
 * form (docs/bcd.md, "Backup Components Document"). */
#include "vss-json-internal.h"

#include <string.h>

/* ---- life cycle ---- */

static void
bcd_writer_free (VssBcdWriter *self)
{
  g_free (self->writer_id);
  g_free (self->instance_id);
  g_free (self->writer_name);
  g_ptr_array_unref (self->components);
  g_hash_table_unref (self->component_index);
  g_free (self);
}

static VssBcdWriter *
bcd_writer_new (const char *writer_id, const char *instance_id, const char *writer_name)
{
  VssBcdWriter *self = g_new0 (VssBcdWriter, 1);
  self->writer_id = g_strdup (writer_id);
  self->instance_id = g_strdup (instance_id);
  self->writer_name = g_strdup (writer_name);
  self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
  self->component_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

static void
bcd_snapshot_free (VssBcdSnapshot *self)
{
  g_free (self->snapshot_id);
  g_free (self->original_path);
  g_free (self->snapshot_path);
  g_free (self->provider);
  g_free (self);
}

VssDocument *
vss_document_new (void)
{
  VssDocument *self = g_new0 (VssDocument, 1);
  self->version = VSS_DOCUMENT_VERSION;
  self->restore = FALSE;
  self->backup_type = VSS_BT_FULL;
  self->select_components = FALSE;
  self->context = VSS_CTX_BACKUP;
  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) bcd_snapshot_free);
  self->writers = g_ptr_array_new_with_free_func ((GDestroyNotify) bcd_writer_free);
  return self;
}

void
vss_document_free (VssDocument *self)
{
  if (self == NULL)
    return;
  g_free (self->snapshot_set_id);
  g_ptr_array_unref (self->snapshots);
  g_ptr_array_unref (self->writers);
  g_free (self);
}

/* ---- editing ---- */

VssBcdWriter *
vss_document_find_writer (VssDocument *self, const char *writer_id, const char *instance_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (writer_id != NULL, NULL);
  for (guint i = 0; i < self->writers->len; i++) {
    VssBcdWriter *w = g_ptr_array_index (self->writers, i);
    if (strcmp (w->writer_id, writer_id) == 0 &&
        (instance_id == NULL || strcmp (w->instance_id, instance_id) == 0))
      return w;
  }
  return NULL;
}

VssBcdWriter *
vss_document_ensure_writer (VssDocument *self, const char *writer_id, const char *instance_id,
                            const char *writer_name)
{
  VssBcdWriter *w;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (writer_id != NULL && instance_id != NULL, NULL);
  g_return_val_if_fail (writer_name != NULL, NULL);
  w = vss_document_find_writer (self, writer_id, instance_id);
  if (w == NULL) {
    w = bcd_writer_new (writer_id, instance_id, writer_name);
    g_ptr_array_add (self->writers, w);
  }
  return w;
}

static char *
component_key (const char *logical_path, const char *name)
{
  return g_strconcat (logical_path != NULL ? logical_path : "", "\n", name, NULL);
}

/* Constant time: a backup may add tens of thousands of components, each
 * checked against those before it.  The index catches up with
 * components appended without it (the JSON reader). */
VssComponent *
vss_bcd_writer_find_component (VssBcdWriter *self, VssComponentType type,
                               const char *logical_path, const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  for (guint i = g_hash_table_size (self->component_index); i < self->components->len; i++) {
    VssComponent *c = g_ptr_array_index (self->components, i);
    g_hash_table_insert (self->component_index, component_key (c->logical_path, c->name), c);
  }
  g_autofree char *key = component_key (logical_path, name);
  VssComponent *c = g_hash_table_lookup (self->component_index, key);
  return c != NULL && vss_component_matches (c, type, logical_path, name) ? c : NULL;
}

void
vss_bcd_writer_set_components (VssBcdWriter *self, GPtrArray *components)
{
  g_hash_table_remove_all (self->component_index);
  g_ptr_array_unref (self->components);
  self->components = components;
}

VssComponent *
vss_bcd_writer_add_component (VssBcdWriter *self, VssComponentType type,
                              const char *logical_path, const char *name, GError **error)
{
  VssComponent *c;

  g_return_val_if_fail (self != NULL, NULL);
  if (!vss_check_component_identity (type, name, error))
    return NULL;
  if (vss_bcd_writer_find_component (self, VSS_CT_UNDEFINED, logical_path, name) != NULL) {
    g_autofree char *qname = vss_json_quote (name);
    g_autofree char *qpath = vss_json_quote (logical_path != NULL ? logical_path : "");
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "component %s (logical path %s) of writer %s is already in the Backup "
                 "Components Document: add each component once",
                 qname, qpath, self->writer_name);
    return NULL;
  }
  c = vss_component_new (type, logical_path, name);
  g_ptr_array_add (self->components, c);
  return c;
}

VssBcdSnapshot *
vss_document_add_snapshot (VssDocument *self, const char *snapshot_id,
                           const char *original_path, const char *provider)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (snapshot_id != NULL && original_path != NULL && provider != NULL, NULL);

  VssBcdSnapshot *s = g_new0 (VssBcdSnapshot, 1);
  s->snapshot_id = g_strdup (snapshot_id);
  s->original_path = g_strdup (original_path);
  s->provider = g_strdup (provider);
  g_ptr_array_add (self->snapshots, s);
  return s;
}

void
vss_document_set_writable (VssDocument *self, gboolean writable)
{
  g_return_if_fail (self != NULL);
  for (guint i = 0; i < self->writers->len; i++) {
    VssBcdWriter *w = g_ptr_array_index (self->writers, i);
    for (guint j = 0; j < w->components->len; j++)
      ((VssComponent *) g_ptr_array_index (w->components, j))->writable = writable;
  }
}

/* ---- writing ---- */

static json_object *
snapshots_to_json (GPtrArray *snapshots)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < snapshots->len; i++) {
    const VssBcdSnapshot *s = g_ptr_array_index (snapshots, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "snapshot_id", json_object_new_string (s->snapshot_id));
    json_object_object_add (obj, "original_path", json_object_new_string (s->original_path));
    vss_json_add_string (obj, "snapshot_path", s->snapshot_path);
    json_object_object_add (obj, "provider", json_object_new_string (s->provider));
    json_object_object_add (obj, "window",
                            json_object_new_string (s->after_thaw ? "after-thaw" : "freeze"));
    json_object_array_add (array, obj);
  }
  return array;
}

static json_object *
writers_to_json (GPtrArray *writers)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < writers->len; i++) {
    const VssBcdWriter *w = g_ptr_array_index (writers, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "writer_id", json_object_new_string (w->writer_id));
    json_object_object_add (obj, "instance_id", json_object_new_string (w->instance_id));
    json_object_object_add (obj, "writer_name", json_object_new_string (w->writer_name));
    json_object_object_add (obj, "components", vss_components_to_json_array (w->components));
    json_object_array_add (array, obj);
  }
  return array;
}

json_object *
vss_document_to_json_object (const VssDocument *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "version", json_object_new_int (VSS_DOCUMENT_VERSION));
  json_object_object_add (obj, "kind", json_object_new_string (self->restore ? "restore"
                                                                              : "backup"));
  json_object_object_add (obj, "backup_type",
                          vss_json_enum_value (vss_backup_type_names, self->backup_type));
  json_object_object_add (obj, "select_components",
                          json_object_new_boolean (self->select_components));
  json_object_object_add (obj, "bootable_state", json_object_new_boolean (self->bootable_state));
  json_object_object_add (obj, "partial_file_support",
                          json_object_new_boolean (self->partial_file_support));
  json_object_object_add (obj, "context",
                          vss_json_enum_value (vss_snapshot_context_names, self->context));
  if (self->writer_images)   /* absent in older documents: no images */
    json_object_object_add (obj, "writer_images", json_object_new_boolean (TRUE));
  vss_json_add_string (obj, "snapshot_set_id", self->snapshot_set_id);
  json_object_object_add (obj, "snapshots", snapshots_to_json (self->snapshots));
  json_object_object_add (obj, "writers", writers_to_json (self->writers));
  return obj;
}

char *
vss_document_to_json (const VssDocument *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  json_object *obj = vss_document_to_json_object (self);
  char *text = vss_json_to_text (obj);
  json_object_put (obj);
  return text;
}

/* ---- reading ---- */

static const VssEnumName kind_names[] = {
  { FALSE, "backup" },
  { TRUE, "restore" },
  { 0, NULL },
};

static gboolean
header_from_json (json_object *obj, VssDocument *doc, GError **error)
{
  int kind = FALSE, backup_type = VSS_BT_FULL, context = VSS_CTX_BACKUP;

  if (!vss_json_read_enum (obj, NULL, "kind", TRUE, kind_names, &kind, error) ||
      !vss_json_read_enum (obj, NULL, "backup_type", TRUE, vss_backup_type_names, &backup_type,
                           error) ||
      !vss_json_read_bool (obj, NULL, "select_components", TRUE, &doc->select_components,
                           error) ||
      !vss_json_read_bool (obj, NULL, "bootable_state", TRUE, &doc->bootable_state, error) ||
      !vss_json_read_bool (obj, NULL, "partial_file_support", TRUE, &doc->partial_file_support,
                           error) ||
      !vss_json_read_enum (obj, NULL, "context", TRUE, vss_snapshot_context_names, &context,
                           error) ||
      !vss_json_read_bool (obj, NULL, "writer_images", FALSE, &doc->writer_images, error) ||
      !vss_json_read_uuid (obj, NULL, "snapshot_set_id", FALSE, &doc->snapshot_set_id, error))
    return FALSE;
  doc->restore = kind;
  doc->backup_type = backup_type;
  doc->context = context;
  return TRUE;
}

/* Refuses a second element with the same @key (taken), naming the first. */
static gboolean
check_unique (GHashTable *seen, char *key, const char *path, const char *what, GError **error)
{
  const char *first = vss_json_seen_before (seen, key, path);
  if (first != NULL) {
    vss_json_set_error (error, path, NULL, "duplicate %s (same as %s)", what, first);
    return FALSE;
  }
  return TRUE;
}

static VssBcdSnapshot *
snapshot_from_json (json_object *obj, const char *where, GError **error)
{
  static const char *const keys[] = { "snapshot_id", "original_path", "snapshot_path",
                                      "provider", "window", NULL };
  VssBcdSnapshot *s = g_new0 (VssBcdSnapshot, 1);
  g_autofree char *window = NULL;

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_uuid (obj, where, "snapshot_id", TRUE, &s->snapshot_id, error) ||
      !vss_json_read_checked (obj, where, "original_path", TRUE, vss_check_path,
                              &s->original_path, error) ||
      !vss_json_read_checked (obj, where, "snapshot_path", FALSE, vss_check_path,
                              &s->snapshot_path, error) ||
      !vss_json_read_checked (obj, where, "provider", TRUE, NULL, &s->provider, error) ||
      !vss_json_read_string (obj, where, "window", FALSE, &window, error)) {
    bcd_snapshot_free (s);
    return NULL;
  }
  /* absent in documents written before the window existed: inside the freeze */
  if (window != NULL && !g_str_equal (window, "freeze") && !g_str_equal (window, "after-thaw")) {
    vss_json_set_error (error, where, "window", "must be \"freeze\" or \"after-thaw\"");
    bcd_snapshot_free (s);
    return NULL;
  }
  s->after_thaw = g_strcmp0 (window, "after-thaw") == 0;
  return s;
}

/* A VssJsonItemReader: a snapshot whose id is not in @seen yet. */
static gpointer
unique_snapshot_from_json (json_object *obj, const char *where, gpointer seen, GError **error)
{
  VssBcdSnapshot *s = snapshot_from_json (obj, where, error);

  if (s != NULL &&
      !check_unique (seen, g_ascii_strdown (s->snapshot_id, -1), where, "snapshot_id", error)) {
    bcd_snapshot_free (s);
    return NULL;
  }
  return s;
}

static VssBcdWriter *
writer_from_json (json_object *obj, const char *where, GError **error)
{
  static const char *const keys[] = { "writer_id", "instance_id", "writer_name", "components",
                                      NULL };
  g_autofree char *writer_id = NULL, *instance_id = NULL, *writer_name = NULL;
  g_autofree char *components_path = vss_json_path_key (where, "components");
  json_object *array = NULL;
  VssBcdWriter *w;
  GPtrArray *components;

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_uuid (obj, where, "writer_id", TRUE, &writer_id, error) ||
      !vss_json_read_uuid (obj, where, "instance_id", TRUE, &instance_id, error) ||
      !vss_json_read_checked (obj, where, "writer_name", TRUE, NULL, &writer_name, error) ||
      !vss_json_read_array (obj, where, "components", FALSE, &array, error))
    return NULL;
  w = bcd_writer_new (writer_id, instance_id, writer_name);
  if (array == NULL)
    return w;
  components = vss_components_from_json_array (array, components_path, error);
  if (components == NULL) {
    bcd_writer_free (w);
    return NULL;
  }
  g_ptr_array_unref (w->components);
  w->components = components;
  return w;
}

/* A VssJsonItemReader: a writer whose (writer_id, instance_id) is not in
 * @seen yet. */
static gpointer
unique_writer_from_json (json_object *obj, const char *where, gpointer seen, GError **error)
{
  VssBcdWriter *w = writer_from_json (obj, where, error);

  if (w == NULL)
    return NULL;
  g_autofree char *id = g_strconcat (w->writer_id, "/", w->instance_id, NULL);
  if (!check_unique (seen, g_ascii_strdown (id, -1), where,
                     "writer (same writer_id and instance_id)", error)) {
    bcd_writer_free (w);
    return NULL;
  }
  return w;
}

static const char *const document_keys[] = {
  "version", "kind", "backup_type", "select_components", "bootable_state",
  "partial_file_support", "context", "writer_images", "snapshot_set_id", "snapshots", "writers",
  NULL
};

VssDocument *
vss_document_from_json (const char *text, gsize length, GError **error)
{
  json_object *obj;
  g_autoptr(VssDocument) doc = NULL;
  g_autoptr(GHashTable) snapshot_ids = vss_json_seen_new ();
  g_autoptr(GHashTable) writer_ids = vss_json_seen_new ();
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  obj = vss_json_parse (text, length, error);
  if (obj == NULL)
    return NULL;
  doc = vss_document_new ();
  ok = vss_json_read_version (obj, NULL, error) &&
       vss_json_check_keys (obj, NULL, document_keys, error) &&
       header_from_json (obj, doc, error) &&
       vss_json_read_items (obj, NULL, "snapshots", unique_snapshot_from_json, snapshot_ids,
                            doc->snapshots, error) &&
       vss_json_read_items (obj, NULL, "writers", unique_writer_from_json, writer_ids,
                            doc->writers, error);
  json_object_put (obj);
  return ok ? g_steal_pointer (&doc) : NULL;
}
