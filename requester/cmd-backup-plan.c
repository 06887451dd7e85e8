/* cmd-backup-plan.c — what `vss backup --dry-run` shows instead of freezing. */
#include "vss-backup-cmd.h"


/* ---- --dry-run ---- */

static void
show_components (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    vss_cli_print (cli, "would freeze and back up %s\n", s->key);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "component", json_object_new_string (s->key));
    json_object_object_add (obj, "writer",
                            json_object_new_string (vss_writer_metadata_get_writer_name (s->metadata)));
    vss_cli_emit (cli, "plan-component", obj);
  }
}

static void
show_snapshots (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->snapshot_ids->len; i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        job->bc, g_ptr_array_index (job->snapshot_ids, i), NULL);
    if (prop == NULL)
      continue;
    vss_cli_print (cli, "would snapshot %s with the %s provider\n", prop->original_path,
                   prop->provider);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (prop->original_path));
    json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
    vss_cli_emit (cli, "plan-snapshot", obj);
  }
  for (guint i = 0; i < job->live_roots->len; i++)
    vss_cli_print (cli, "would read %s live, with no snapshot (--path-consistency=crash)\n",
                   (const char *) g_ptr_array_index (job->live_roots, i));
}

int
vss_backup_job_show_plan (VssCli *cli, VssBackupJob *job)
{
  show_components (cli, job);
  show_snapshots (cli, job);
  guint64 bytes = vss_backup_job_estimate_bytes (job);
  g_autofree char *size = g_format_size (bytes);
  vss_cli_print (cli, "would copy about %s%s%s; nothing was frozen\n", size,
                 job->to != NULL ? " into " : "", job->to != NULL ? job->to : "");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string ("success"));
  json_object_object_add (obj, "exit_code", json_object_new_int (VSS_EXIT_OK));
  json_object_object_add (obj, "dry_run", json_object_new_boolean (TRUE));
  json_object_object_add (obj, "components", json_object_new_int ((int) job->selected->len));
  json_object_object_add (obj, "bytes_estimated", json_object_new_int64 ((gint64) bytes));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}
