/* vss-cluster-config.c — where etcd is, read from a key file, and where
 * the keys live below the prefix.
 *
 * Secrets stay out of the command line (ps shows it to every user): the
 * password is only ever read from this file, and a file holding one must
 * not be readable by group or others. */
#include "vss-cluster-private.h"

#include <string.h>
#include <sys/stat.h>

#define DEFAULT_PREFIX "/vss/cluster/default"
#define DEFAULT_TTL_S 5
#define DEFAULT_REQUEST_TIMEOUT_MS 2000

void
vss_cluster_config_free (VssClusterConfig *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->endpoints);
  g_free (self->prefix);
  g_free (self->ca_file);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self->user);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self);
}

static char *
optional_string (GKeyFile *kf, const char *key)
{
  char *value = g_key_file_get_string (kf, "etcd", key, NULL);
  if (value != NULL && value[0] == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static guint
optional_uint (GKeyFile *kf, const char *key, guint fallback)
{
  g_autoptr(GError) error = NULL;
  gint v = g_key_file_get_integer (kf, "etcd", key, &error);
  return error == NULL && v > 0 ? (guint) v : fallback;
}

static gboolean
check_secret_file (const char *path, GError **error)
{
  struct stat st;
  if (stat (path, &st) != 0 || (st.st_mode & 077) == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
               "%s holds an etcd password but others may read it (mode %03o): chmod 600 it",
               path, st.st_mode & 0777);
  return FALSE;
}

/* An agent acts only below its prefix: it must be absolute and must not
 * end in '/', so "<prefix>/" never matches a sibling prefix. */
static gboolean
check_prefix (const char *path, char *prefix, GError **error)
{
  gsize n = strlen (prefix);
  while (n > 1 && prefix[n - 1] == '/')
    prefix[--n] = '\0';
  if (prefix[0] == '/' && n > 1)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s: prefix must be an absolute key like /vss/cluster/prod",
               path);
  return FALSE;
}

VssClusterConfig *
vss_cluster_config_new (void)
{
  VssClusterConfig *self = g_new0 (VssClusterConfig, 1);
  self->prefix = g_strdup (DEFAULT_PREFIX);
  self->lease_ttl_s = DEFAULT_TTL_S;
  self->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
  return self;
}

static VssClusterConfig *
config_from_key_file (GKeyFile *kf, const char *path, GError **error)
{
  g_autoptr(VssClusterConfig) self = g_new0 (VssClusterConfig, 1);
  self->endpoints = g_key_file_get_string_list (kf, "etcd", "endpoints", NULL, NULL);
  if (self->endpoints == NULL || self->endpoints[0] == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s: [etcd] endpoints= is missing", path);
    return NULL;
  }
  self->prefix = optional_string (kf, "prefix");
  if (self->prefix == NULL)
    self->prefix = g_strdup (DEFAULT_PREFIX);
  self->lease_ttl_s = optional_uint (kf, "lease-ttl", DEFAULT_TTL_S);
  self->request_timeout_ms = optional_uint (kf, "request-timeout-ms", DEFAULT_REQUEST_TIMEOUT_MS);
  self->ca_file = optional_string (kf, "ca-file");
  self->cert_file = optional_string (kf, "cert-file");
  self->key_file = optional_string (kf, "key-file");
  self->user = optional_string (kf, "user");
  self->password = optional_string (kf, "password");
  if (!check_prefix (path, self->prefix, error))
    return NULL;
  if (self->password != NULL && !check_secret_file (path, error))
    return NULL;
  return g_steal_pointer (&self);
}

VssClusterConfig *
vss_cluster_config_load (const char *path, GError **error)
{
  g_autofree char *default_path = NULL;
  if (path == NULL)
    path = default_path = g_build_filename (vss_get_config_dir (), "cluster.conf", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "cluster configuration %s: ", path);
    return NULL;
  }
  return config_from_key_file (kf, path, error);
}

/* ---- the key layout below the prefix (vss-cluster-private.h) ---- */

char *
vss_cluster_host_key (const char *prefix, const char *host)
{
  return g_strconcat (prefix, "/hosts/", host, NULL);
}

char *
vss_cluster_run_prefix (const char *prefix, const char *run_id)
{
  return g_strconcat (prefix, "/runs/", run_id, "/", NULL);
}

gint64
vss_cluster_call_deadline (const VssClusterConfig *config)
{
  gint64 per_endpoint_us = (gint64) config->request_timeout_ms * 1000;
  return g_get_monotonic_time () + per_endpoint_us * g_strv_length (config->endpoints) + G_USEC_PER_SEC;
}
