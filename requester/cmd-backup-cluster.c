/* cmd-backup-cluster.c — `vss backup --cluster URL --to DIR`: one
 * snapshot instant across the hosts whose agents are registered in etcd
 * (docs/cluster.md).  The phases run in libvss (vss_cluster_backup); this
 * is the command line and its report. */
#include "vss-backup-cmd.h"

#include <errno.h>
#include <stdlib.h>

void
vss_cluster_options_clear (VssClusterOptions *options)
{
  g_clear_pointer (&options->urls, g_free);
  g_clear_pointer (&options->hosts, g_free);
  g_clear_pointer (&options->config, g_free);
}

VssClusterConfig *
vss_cli_cluster_config (const char *config_path, const char *urls, GError **error)
{
  g_autofree char *default_path = g_build_filename (vss_get_config_dir (), "cluster.conf", NULL);
  VssClusterConfig *config = NULL;
  if (config_path != NULL || g_file_test (default_path, G_FILE_TEST_EXISTS))
    config = vss_cluster_config_load (config_path, error);
  else
    config = vss_cluster_config_new ();
  if (config == NULL)
    return NULL;
  if (urls != NULL) {
    g_strfreev (config->endpoints);
    config->endpoints = g_strsplit (urls, ",", -1);
  }
  if (config->endpoints == NULL || config->endpoints[0] == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "no etcd endpoint: give --cluster URL or "
                 "endpoints= in %s", config_path != NULL ? config_path : default_path);
    vss_cluster_config_free (config);
    return NULL;
  }
  return config;
}

static void
emit_summary (VssCli *cli, const char *to, gboolean ok, gint64 start, const GError *error)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (ok ? "success" : "failed"));
  json_object_object_add (obj, "exit_code", json_object_new_int (ok ? VSS_EXIT_OK : VSS_EXIT_FAILED));
  json_object_object_add (obj, "cluster_set", json_object_new_string (to));
  json_object_object_add (obj, "duration_ms", json_object_new_double ((g_get_monotonic_time () - start) / 1000.0));
  if (error != NULL)
    json_object_object_add (obj, "message", json_object_new_string (error->message));
  vss_cli_emit (cli, "summary", obj);
}

int
vss_cmd_backup_cluster (VssCli *cli, VssClusterOptions *options, const char *to)
{
  if (to == NULL)
    return vss_cli_usage (cli, "backup", "--cluster needs --to DIR, where the cluster set goes");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssClusterConfig) config = vss_cli_cluster_config (options->config, options->urls, &error);
  if (config == NULL)
    return vss_cli_usage (cli, "backup", "%s", error->message);
  g_autofree char *dest = g_canonicalize_filename (to, NULL);
  g_auto(GStrv) hosts = options->hosts != NULL ? g_strsplit (options->hosts, ",", -1) : NULL;
  VssClusterBackupOptions o = { .hosts = hosts, .destination = dest };
  gint64 start = g_get_monotonic_time ();
  gboolean ok = vss_cluster_backup (config, &o, &error);
  emit_summary (cli, dest, ok, start, error);
  if (!ok)
    return vss_cli_fail (cli, error);
  vss_cli_print (cli, "cluster backup success: set %s (%.0f ms)\n", dest,
                 (g_get_monotonic_time () - start) / 1000.0);
  return VSS_EXIT_OK;
}

int
vss_cli_verify_cluster_set (VssCli *cli, const char *dir)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = vss_cluster_set_verify (dir, &error);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (ok ? "success" : "failed"));
  json_object_object_add (obj, "cluster_set", json_object_new_string (dir));
  if (error != NULL)
    json_object_object_add (obj, "message", json_object_new_string (error->message));
  vss_cli_emit (cli, "summary", obj);
  if (!ok)
    return vss_cli_fail (cli, error);
  vss_cli_print (cli, "%s: ok, a complete cluster set: every host's set verifies and is the one recorded\n", dir);
  return VSS_EXIT_OK;
}

int
vss_cli_cluster_host_set (VssCli *cli, char **from, const char *host)
{
  if (host == NULL)
    return -1;
  g_autoptr(GError) error = NULL;
  if (!vss_cluster_set_verify (*from, &error)) {
    g_prefix_error (&error, "not restoring from an incomplete or damaged cluster set: ");
    return vss_cli_fail (cli, error);
  }
  char *host_dir = vss_cluster_set_host_dir (*from, host, &error);
  if (host_dir == NULL)
    return vss_cli_fail (cli, error);
  g_free (*from);
  *from = host_dir;
  return -1;
}
