/* cmd-backup-exec.c — `vss backup --exec CMD`: CMD runs with the
 * snapshot at the original paths (vss-snapshot-view.h); the writers hear
 * backup_succeeded only when it exits 0. */
#include "vss-backup-cmd.h"

#include <sys/wait.h>
#include <unistd.h>

/* Runs @argv in the view of the job's snapshot; its wait status, or -1
 * with @error when it could not start. */
int
vss_backup_cmd_run_in_view (VssBackupCmd *cmd, const char *const *argv, int stdout_fd,
                            void (*started) (gpointer data), gpointer data, GError **error)
{
  /* the writers' images, which no snapshot holds, as files to show */
  if (!vss_backup_job_stage_images (cmd->job, error))
    return -1;
  int lock = -1;
  g_autofree char *metadata = vss_backup_cmd_write_metadata (cmd, &lock, error);
  if (metadata == NULL) {
    vss_backup_job_remove_staged_images (cmd->job);
    return -1;
  }
  g_autoptr(VssSnapshotView) view = vss_backup_cmd_make_view (cmd, metadata, error);
  g_auto(GStrv) env = vss_backup_cmd_view_env (cmd);
  int status = -1;
  if (view != NULL &&
      vss_snapshot_view_spawn (view, argv, (const char *const *) env, stdout_fd, error)) {
    if (started != NULL)
      started (data);
    status = vss_snapshot_view_wait (view);
  }
  vss_backup_cmd_remove_metadata (metadata, lock);
  vss_backup_job_remove_staged_images (cmd->job);
  return status;
}

gboolean
vss_backup_cmd_exec (VssCli *cli, VssBackupCmd *cmd, GError **error)
{
  const char *argv[] = { "/bin/sh", "-c", cmd->exec, NULL };
  /* with --json stdout is our NDJSON: the command's output goes to stderr */
  int status = vss_backup_cmd_run_in_view (cmd, argv, cli->json ? STDERR_FILENO : -1,
                                           NULL, NULL, error);
  if (status == -1) {
    vss_backup_job_mark (cmd->job, FALSE, NULL);
    return FALSE;
  }
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "command", json_object_new_string (cmd->exec));
  json_object_object_add (obj, "exit_status", json_object_new_int (code));
  vss_cli_emit (cli, "exec", obj);
  /* Only a command that succeeded lets writers truncate their logs.  What
   * it read is its own business: exit 0 vouches for every component. */
  if (!vss_backup_job_mark (cmd->job, code == 0, error))
    return FALSE;
  if (code != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "--exec command failed (%s %d): the writers were told the backup did not succeed",
                 code < 0 ? "signal" : "exit status", code < 0 ? WTERMSIG (status) : code);
    return FALSE;
  }
  return TRUE;
}
