/* vss-snapshot-record.c — reading and writing the record of one snapshot
 * set (see vss-snapshot-record.h). */
#include "vss-snapshot-record.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/vss-fs.h"
#include "util/vss-paths.h"

void
vss_set_record_free (VssSetRecord *self)
{
  if (self == NULL)
    return;
  g_free (self->snapshot_set_id);
  g_free (self->program);
  g_ptr_array_unref (self->snapshots);
  g_free (self);
}

/* @name, or "unknown" when a process (or a record) gives none. */
static char *
program_name (const char *name)
{
  return g_strdup (name != NULL ? name : "unknown");
}

VssSetRecord *
vss_set_record_new_here (const char *snapshot_set_id, VssSnapshotContext context)
{
  VssSetRecord *self = g_new0 (VssSetRecord, 1);
  self->snapshot_set_id = g_strdup (snapshot_set_id);
  self->context = context;
  self->pid = getpid ();
  self->start_time = vss_process_start_time (self->pid);
  self->program = program_name (g_get_prgname ());
  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_snapshot_free);
  return self;
}

char *
vss_set_record_dir (void)
{
  return g_build_filename (vss_paths_state_dir (), "sets", NULL);
}

char *
vss_set_record_path (const char *snapshot_set_id)
{
  g_autofree char *dir = vss_set_record_dir ();
  g_autofree char *name = g_strconcat (snapshot_set_id, ".json", NULL);
  return g_build_filename (dir, name, NULL);
}

gboolean
vss_set_record_creator_alive (const VssSetRecord *self)
{
  return vss_process_is_alive (self->pid, self->start_time);
}

/* ---- save ---- */

static json_object *
string_or_null (const char *value)
{
  return value != NULL ? json_object_new_string (value) : NULL;
}

static json_object *
snapshot_to_json (const VssSnapshot *snapshot)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "snapshot_id", json_object_new_string (snapshot->snapshot_id));
  json_object_object_add (obj, "original_path", json_object_new_string (snapshot->original_path));
  json_object_object_add (obj, "snapshot_path", string_or_null (snapshot->snapshot_path));
  json_object_object_add (obj, "storage_path", string_or_null (snapshot->storage_path));
  json_object_object_add (obj, "provider", json_object_new_string (snapshot->provider->name));
  if (snapshot->provider_data != NULL)
    json_object_object_add (obj, "provider_data", json_object_new_string (snapshot->provider_data));
  json_object_object_add (obj, "created_usec", json_object_new_int64 (snapshot->created_usec));
  json_object_object_add (obj, "committed", json_object_new_boolean (snapshot->committed));
  return obj;
}

gboolean
vss_set_record_save (const VssSetRecord *self, GError **error)
{
  g_autofree char *path = vss_set_record_path (self->snapshot_set_id);
  if (self->snapshots->len == 0) {
    if (unlink (path) != 0 && errno != ENOENT) {
      int saved = errno;
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot remove the record %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
    return TRUE;
  }
  g_autofree char *dir = vss_set_record_dir ();
  if (!vss_paths_ensure_dir (vss_paths_state_dir (), error) || !vss_paths_ensure_dir (dir, error))
    return FALSE;
  json_object *root = json_object_new_object ();
  json_object_object_add (root, "snapshot_set_id", json_object_new_string (self->snapshot_set_id));
  json_object_object_add (root, "context",
                          json_object_new_string (vss_snapshot_context_to_string (self->context)));
  json_object_object_add (root, "pid", json_object_new_int64 (self->pid));
  json_object_object_add (root, "start_time", json_object_new_uint64 (self->start_time));
  json_object_object_add (root, "program", json_object_new_string (self->program));
  json_object *list = json_object_new_array ();
  for (guint i = 0; i < self->snapshots->len; i++)
    json_object_array_add (list, snapshot_to_json (g_ptr_array_index (self->snapshots, i)));
  json_object_object_add (root, "snapshots", list);
  const char *text = json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY);
  g_autoptr(GError) local = NULL;
  gboolean ok = vss_fs_write_atomic (path, text, strlen (text), 0600, &local);
  json_object_put (root);
  if (!ok)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot record snapshot set %s: %s",
                 self->snapshot_set_id, local->message);
  return ok;
}

/* ---- load ---- */

static gboolean
bad_record (GError **error, const char *path, const char *what)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "snapshot set record %s: %s; delete the file if the snapshots it names are gone",
               path, what);
  return FALSE;
}

static const char *
get_string (json_object *obj, const char *key, gboolean nullable)
{
  json_object *value = NULL;
  if (!json_object_object_get_ex (obj, key, &value))
    return NULL;
  if (value == NULL)
    return nullable ? "" : NULL;
  return json_object_is_type (value, json_type_string) ? json_object_get_string (value) : NULL;
}

static VssSnapshot *
snapshot_from_json (const VssSetRecord *self, json_object *obj, const char *path, GError **error)
{
  const char *id = get_string (obj, "snapshot_id", FALSE);
  const char *original = get_string (obj, "original_path", FALSE);
  const char *snap_path = get_string (obj, "snapshot_path", TRUE);
  const char *storage = get_string (obj, "storage_path", TRUE);
  const char *provider_name = get_string (obj, "provider", FALSE);
  if (id == NULL || original == NULL || snap_path == NULL || storage == NULL || provider_name == NULL) {
    bad_record (error, path, "a snapshot lacks snapshot_id, original_path, snapshot_path, "
                             "storage_path or provider (or one is not a string)");
    return NULL;
  }
  g_autoptr(GError) unknown = NULL;
  const VssProvider *provider = vss_provider_lookup (provider_name, &unknown);
  if (provider == NULL) {
    bad_record (error, path, unknown->message);
    return NULL;
  }
  VssSnapshot *snapshot = vss_snapshot_new (self->snapshot_set_id, original, provider, self->context);
  g_free (snapshot->snapshot_id);
  snapshot->snapshot_id = g_strdup (id);
  snapshot->snapshot_path = *snap_path != '\0' ? g_strdup (snap_path) : NULL;
  snapshot->storage_path = *storage != '\0' ? g_strdup (storage) : NULL;
  snapshot->provider_data = g_strdup (get_string (obj, "provider_data", FALSE));   /* optional */
  json_object *value = NULL;
  if (json_object_object_get_ex (obj, "created_usec", &value))
    snapshot->created_usec = json_object_get_int64 (value);
  if (json_object_object_get_ex (obj, "committed", &value))
    snapshot->committed = json_object_get_boolean (value);
  return snapshot;
}

static gboolean
fill_record (VssSetRecord *self, json_object *root, const char *path, GError **error)
{
  const char *set_id = get_string (root, "snapshot_set_id", FALSE);
  const char *context = get_string (root, "context", FALSE);
  json_object *pid = NULL, *start = NULL, *list = NULL;
  /* The set id names the record's file (vss_set_record_path). */
  if (set_id != NULL && (*set_id == '\0' || *set_id == '.' || strchr (set_id, '/') != NULL))
    return bad_record (error, path, "snapshot_set_id cannot name a record file");
  if (set_id == NULL || context == NULL ||
      !vss_snapshot_context_from_string (context, &self->context) ||
      !json_object_object_get_ex (root, "pid", &pid) || !json_object_is_type (pid, json_type_int) ||
      !json_object_object_get_ex (root, "snapshots", &list) ||
      !json_object_is_type (list, json_type_array))
    return bad_record (error, path, "snapshot_set_id, context, pid or snapshots is missing or wrong");
  self->snapshot_set_id = g_strdup (set_id);
  self->pid = json_object_get_int64 (pid);
  if (json_object_object_get_ex (root, "start_time", &start))
    self->start_time = json_object_get_uint64 (start);
  /* Optional when read; a record saved again always names one. */
  self->program = program_name (get_string (root, "program", FALSE));
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    VssSnapshot *snapshot = snapshot_from_json (self, json_object_array_get_idx (list, i), path, error);
    if (snapshot == NULL)
      return FALSE;
    g_ptr_array_add (self->snapshots, snapshot);
  }
  return TRUE;
}

VssSetRecord *
vss_set_record_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s", local->message);
    return NULL;
  }
  json_object *root = json_tokener_parse (text);
  if (root == NULL || !json_object_is_type (root, json_type_object)) {
    json_object_put (root);
    bad_record (error, path, "not a JSON object");
    return NULL;
  }
  g_autoptr(VssSetRecord) self = g_new0 (VssSetRecord, 1);
  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_snapshot_free);
  gboolean ok = fill_record (self, root, path, error);
  json_object_put (root);
  return ok ? g_steal_pointer (&self) : NULL;
}
