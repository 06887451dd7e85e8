/* vss-session.c — driving the library's calls for the commands: waiting
 * for long calls with timing events, gathering writers, reporting them. */
#include "vss-cli.h"

void
vss_cli_emit_phase (VssCli *cli, const char *phase, double duration_ms, gboolean ok)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "phase", json_object_new_string (phase));
  json_object_object_add (obj, "duration_ms", json_object_new_double (duration_ms));
  json_object_object_add (obj, "ok", json_object_new_boolean (ok));
  vss_cli_emit (cli, "phase", obj);
}

gboolean
vss_cli_wait (VssCli *cli, VssAsync *async, const char *phase, GError **error)
{
  g_autoptr(VssAsync) owned = async;
  gint64 start = g_get_monotonic_time ();
  VssAsyncStatus status = vss_async_wait (owned, -1, error);
  vss_cli_emit_phase (cli, phase, (g_get_monotonic_time () - start) / 1000.0,
                      status == VSS_ASYNC_FINISHED);
  if (status == VSS_ASYNC_FINISHED)
    return TRUE;
  if (status == VSS_ASYNC_CANCELLED)
    g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "%s was cancelled", phase);
  return FALSE;
}

VssBackupComponents *
vss_cli_gather (VssCli *cli, VssBackupType type, const char *restore_bcd, guint hold_limit_ms,
                GError **error)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  if (hold_limit_ms > 0 && !vss_backup_components_set_hold_timeout (bc, hold_limit_ms, error))
    return NULL;
  gboolean ok = restore_bcd != NULL
      ? vss_backup_components_initialize_for_restore (bc, restore_bcd, error)
      : vss_backup_components_initialize_for_backup (bc, NULL, error) &&
        vss_backup_components_set_backup_state (bc, TRUE, FALSE, type, FALSE, error);
  if (!ok || !vss_backup_components_gather_writer_metadata (bc, &async, error) ||
      !vss_cli_wait (cli, async, "gather", error))
    return NULL;
  return g_steal_pointer (&bc);
}

static void
emit_writer (VssCli *cli, const VssWriterStatus *status)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "name", json_object_new_string (status->writer_name));
  json_object_object_add (obj, "writer_id", json_object_new_string (status->writer_id));
  json_object_object_add (obj, "state",
                          json_object_new_string (vss_writer_state_to_string (status->state)));
  json_object_object_add (obj, "failure",
                          json_object_new_string (vss_writer_failure_to_string (status->failure)));
  if (status->failure_message != NULL)
    json_object_object_add (obj, "message", json_object_new_string (status->failure_message));
  if (status->host != NULL)
    json_object_object_add (obj, "host", json_object_new_string (status->host));
  json_object_object_add (obj, "configured", json_object_new_boolean (status->not_configured == NULL));
  vss_cli_emit (cli, "writer", obj);
}

void
vss_cli_show_writer (VssCli *cli, const VssWriterStatus *status, gboolean quiet)
{
  emit_writer (cli, status);
  if (status->not_configured != NULL) {
    if (!quiet)
      vss_cli_print (cli, "writer %-12s not configured (takes no part): %s\n",
                     status->writer_name, status->not_configured);
    return;
  }
  if (!quiet || status->failure != VSS_WF_NONE)
    vss_cli_print (cli, "writer %-12s %s%s%s%s%s%s\n", status->writer_name,
                   vss_writer_state_to_string (status->state),
                   status->host != NULL ? " (" : "", status->host != NULL ? status->host : "",
                   status->host != NULL ? ")" : "",
                   status->failure_message != NULL ? ": " : "",
                   status->failure_message != NULL ? status->failure_message : "");
}

guint
vss_cli_report_writers (VssCli *cli, VssBackupComponents *bc, gboolean quiet, GError **error)
{
  VssAsync *async = NULL;
  guint count = 0, failed = 0;
  if (!vss_backup_components_gather_writer_status (bc, &async, error) ||
      !vss_cli_wait (cli, async, "status", error) ||
      !vss_backup_components_get_writer_status_count (bc, &count, error))
    return 0;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) status = vss_backup_components_get_writer_status (bc, i, error);
    if (status == NULL)
      return failed;
    if (status->failure != VSS_WF_NONE)
      failed++;
    vss_cli_show_writer (cli, status, quiet);
  }
  return failed;
}
