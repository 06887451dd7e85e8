/* vss-cluster-manifest.c — cluster.json: the hosts' sets of one cluster
 * snapshot and the interval in which all of them were frozen.
 *
 * Written last and atomically (temp file, fsync, rename), and only when
 * the times the hosts reported show the guarantee: every host committed
 * while it was frozen, and the last freeze came before the first thaw.
 * A directory without it is not a cluster set, whatever host sets it
 * holds. */
#include "vss-cluster-private.h"

#include <json-c/json.h>
#include <string.h>
#include <vss/vss-backup-set.h>

#define MANIFEST_VERSION 1

static gint64
int64_member (json_object *obj, const char *member)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, member, &v) ? json_object_get_int64 (v) : 0;
}

static const char *
string_member (json_object *obj, const char *member)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, member, &v) ? json_object_get_string (v) : NULL;
}

/* One host's entry from its "done" report. */
static json_object *
host_entry (const char *host, const char *done_json, GError **error)
{
  json_object *done = json_tokener_parse (done_json != NULL ? done_json : "");
  if (done == NULL || string_member (done, "set_id") == NULL || string_member (done, "manifest_sha256") == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "host %s reported no set id and checksum", host);
    json_object_put (done);
    return NULL;
  }
  json_object_object_add (done, "name", json_object_new_string (host));
  return done;
}

/* The common frozen interval [last freeze, first thaw] is not empty, and
 * every host committed while it was frozen itself, so its snapshot holds
 * what its writers held at every instant of that interval. */
static gboolean
check_interval (json_object *hosts, gint64 *start, gint64 *end, GError **error)
{
  *start = 0;
  *end = G_MAXINT64;
  for (size_t i = 0; i < json_object_array_length (hosts); i++) {
    json_object *h = json_object_array_get_idx (hosts, i);
    gint64 frozen = int64_member (h, "frozen_usec"), thaw = int64_member (h, "thaw_usec");
    gint64 committed = int64_member (h, "committed_usec");
    if (frozen <= 0 || committed < frozen || committed > thaw) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INCONSISTENT_SNAPSHOT,
                   "host %s committed at %" G_GINT64_FORMAT ", outside its own frozen interval [%"
                   G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", string_member (h, "name"), committed, frozen, thaw);
      return FALSE;
    }
    *start = MAX (*start, frozen);
    *end = MIN (*end, thaw);
  }
  if (*start > *end) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INCONSISTENT_SNAPSHOT,
                 "a host thawed at %" G_GINT64_FORMAT " before the last host froze at %" G_GINT64_FORMAT
                 ": no instant at which every host was frozen", *end, *start);
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_cluster_manifest_write (const char *dir, const char *run_id, GPtrArray *hosts, GHashTable *keys,
                            const char *timeline, GError **error)
{
  json_object *list = json_object_new_array ();
  for (guint i = 0; i < hosts->len; i++) {
    const char *host = g_ptr_array_index (hosts, i);
    g_autofree char *key = g_strconcat ("host/", host, "/done", NULL);
    json_object *entry = host_entry (host, g_hash_table_lookup (keys, key), error);
    if (entry == NULL) {
      json_object_put (list);
      return FALSE;
    }
    json_object_array_add (list, entry);
  }
  gint64 start = 0, end = 0;
  if (!check_interval (list, &start, &end, error)) {
    json_object_put (list);
    return FALSE;
  }
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "version", json_object_new_int (MANIFEST_VERSION));
  json_object_object_add (m, "run_id", json_object_new_string (run_id));
  json_object_object_add (m, "created_usec", json_object_new_int64 (g_get_real_time ()));
  json_object_object_add (m, "frozen_from_usec", json_object_new_int64 (start));
  json_object_object_add (m, "frozen_until_usec", json_object_new_int64 (end));
  json_object_object_add (m, "hosts", list);
  json_object *requester = timeline != NULL ? json_tokener_parse (timeline) : NULL;
  if (requester != NULL)
    json_object_object_add (m, "requester", requester);
  g_autofree char *path = g_build_filename (dir, VSS_CLUSTER_MANIFEST, NULL);
  const char *text = json_object_to_json_string_ext (m, JSON_C_TO_STRING_PRETTY);
  gboolean ok = g_file_set_contents_full (path, text, -1,
                                          G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                          0644, error);
  json_object_put (m);
  return ok;
}

/* ---- reading ---- */

gboolean
vss_cluster_set_is_cluster (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, VSS_CLUSTER_MANIFEST, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static json_object *
load_manifest (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, VSS_CLUSTER_MANIFEST, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  json_object *m = json_tokener_parse (text);
  json_object *hosts = NULL;
  if (m == NULL || int64_member (m, "version") != MANIFEST_VERSION ||
      !json_object_object_get_ex (m, "hosts", &hosts) || !json_object_is_type (hosts, json_type_array)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s: not a version %d cluster manifest",
                 path, MANIFEST_VERSION);
    json_object_put (m);
    return NULL;
  }
  return m;
}

static json_object *
find_host (json_object *m, const char *host)
{
  json_object *hosts = NULL;
  json_object_object_get_ex (m, "hosts", &hosts);
  for (size_t i = 0; i < json_object_array_length (hosts); i++) {
    json_object *h = json_object_array_get_idx (hosts, i);
    if (g_strcmp0 (string_member (h, "name"), host) == 0)
      return h;
  }
  return NULL;
}

/* A host name is one path component: never a way out of the set. */
static gboolean
valid_host_name (const char *host)
{
  return host != NULL && host[0] != '\0' && strchr (host, '/') == NULL && !g_str_equal (host, ".") &&
         !g_str_equal (host, "..");
}

/* The host's set: there, with the id and manifest the cluster recorded. */
static gboolean
check_host (const char *dir, json_object *h, GError **error)
{
  const char *name = string_member (h, "name");
  if (!valid_host_name (name)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "cluster manifest: bad host name");
    return FALSE;
  }
  g_autofree char *host_dir = g_build_filename (dir, name, NULL);
  g_autoptr(VssBackupSet) set = vss_backup_set_open (host_dir, error);
  if (set == NULL)
    return FALSE;
  if (g_strcmp0 (vss_backup_set_get_manifest_sha256 (set), string_member (h, "manifest_sha256")) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s: manifest.json is not the one the cluster recorded",
                 host_dir);
    return FALSE;
  }
  if (g_strcmp0 (vss_backup_set_get_id (set), string_member (h, "set_id")) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s: set id %s, the cluster recorded %s", host_dir,
                 vss_backup_set_get_id (set), string_member (h, "set_id"));
    return FALSE;
  }
  return vss_backup_set_verify (set, NULL, NULL, NULL, NULL, error);
}

gboolean
vss_cluster_set_verify (const char *dir, GError **error)
{
  json_object *m = load_manifest (dir, error);
  if (m == NULL)
    return FALSE;
  json_object *hosts = NULL;
  json_object_object_get_ex (m, "hosts", &hosts);
  gboolean ok = json_object_array_length (hosts) > 0;
  if (!ok)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s: the cluster manifest lists no host", dir);
  gint64 start = 0, end = 0;
  ok = ok && check_interval (hosts, &start, &end, error);
  for (size_t i = 0; ok && i < json_object_array_length (hosts); i++) {
    ok = check_host (dir, json_object_array_get_idx (hosts, i), error);
    if (!ok)
      g_prefix_error (error, "host %s: ", string_member (json_object_array_get_idx (hosts, i), "name"));
  }
  json_object_put (m);
  return ok;
}

char *
vss_cluster_set_host_dir (const char *dir, const char *host, GError **error)
{
  json_object *m = load_manifest (dir, error);
  if (m == NULL)
    return NULL;
  json_object *h = valid_host_name (host) ? find_host (m, host) : NULL;
  json_object_put (m);
  if (h == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s: host %s is not part of this cluster set", dir,
                 host);
    return NULL;
  }
  return g_build_filename (dir, host, NULL);
}
