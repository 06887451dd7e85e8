/* cmd-backup-plan.c — what `vss backup --dry-run` shows instead of freezing. */
#include "vss-backup-cmd.h"

static void
show_components (VssCli *cli, VssBackupCmd *cmd)
{
  for (guint i = 0; i < vss_backup_job_get_component_count (cmd->job); i++) {
    const VssWriterMetadata *md = NULL;
    const char *key = NULL;
    vss_backup_job_get_component (cmd->job, i, &md, &key);
    gboolean image = vss_backup_job_component_is_image (cmd->job, i);
    vss_cli_print (cli, "would freeze and back up %s%s\n", key,
                   image ? " (its writer's image, read after the thaw: no snapshot)" : "");
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "component", json_object_new_string (key));
    json_object_object_add (obj, "writer",
                            json_object_new_string (vss_writer_metadata_get_writer_name (md)));
    json_object_object_add (obj, "image", json_object_new_boolean (image));
    vss_cli_emit (cli, "plan-component", obj);
  }
}

static void
show_snapshots (VssCli *cli, VssBackupCmd *cmd)
{
  for (guint i = 0; i < vss_backup_job_get_snapshot_count (cmd->job); i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_job_get_snapshot (cmd->job, i);
    if (prop == NULL)
      continue;
    vss_cli_print (cli, "would snapshot %s with the %s provider\n", prop->original_path,
                   prop->provider);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (prop->original_path));
    json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
    vss_cli_emit (cli, "plan-snapshot", obj);
  }
  for (guint i = 0; i < vss_backup_job_get_live_root_count (cmd->job); i++)
    vss_cli_print (cli, "would read %s live, with no snapshot (--path-consistency=crash)\n",
                   vss_backup_job_get_live_root (cmd->job, i));
}

int
vss_backup_cmd_show_plan (VssCli *cli, VssBackupCmd *cmd)
{
  show_components (cli, cmd);
  show_snapshots (cli, cmd);
  guint64 bytes = vss_backup_job_estimate_bytes (cmd->job);
  g_autofree char *size = g_format_size (bytes);
  vss_cli_print (cli, "would copy about %s%s%s; nothing was frozen\n", size,
                 cmd->to != NULL ? " into " : "", cmd->to != NULL ? cmd->to : "");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string ("success"));
  json_object_object_add (obj, "exit_code", json_object_new_int (VSS_EXIT_OK));
  json_object_object_add (obj, "dry_run", json_object_new_boolean (TRUE));
  json_object_object_add (obj, "components", json_object_new_int ((int) vss_backup_job_get_component_count (cmd->job)));
  json_object_object_add (obj, "bytes_estimated", json_object_new_int64 ((gint64) bytes));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}
