/* cmd-backup-restic.c — `vss backup --repo restic:REPO`: restic backs up
 * the snapshot at the original paths, with the set's metadata at
 * VSS_VIEW_SET_DIR, into one tagged restic snapshot; its progress becomes
 * vss progress; the writers hear backup_succeeded only once restic has
 * said the snapshot is saved (docs/repositories.md). */
#include "vss-backup-cmd.h"
#include "vss-restic.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  VssCli *cli;
  VssBackupCmd *cmd;
  int out_fd;           /* restic's stdout, read end */
  int in_fd;            /* its write end, closed here once restic has it */
} ResticRun;

static void
on_status (ResticRun *run, json_object *msg)
{
  json_object *files = json_object_object_get (msg, "current_files");
  const char *current = files != NULL && json_object_array_length (files) > 0
      ? json_object_get_string (json_object_array_get_idx (files, 0)) : NULL;
  vss_cli_progress (run->cli, "restic", (guint64) vss_restic_get_int (msg, "bytes_done"),
                    (guint64) vss_restic_get_int (msg, "total_bytes"), current);
}

static void
on_summary (ResticRun *run, json_object *msg)
{
  const char *id = json_object_get_string (json_object_object_get (msg, "snapshot_id"));
  g_free (run->cmd->restic_snapshot);
  run->cmd->restic_snapshot = g_strdup (id);
  run->cmd->bytes = (guint64) vss_restic_get_int (msg, "total_bytes_processed");
  run->cmd->entries = (guint) vss_restic_get_int (msg, "total_files_processed");
  vss_cli_progress_clear (run->cli);
  /* restic's own summary, for scripts that want files_unmodified & co. */
  json_object *copy = NULL;
  json_object_deep_copy (msg, &copy, NULL);
  json_object_object_del (copy, "message_type");
  vss_cli_emit (run->cli, "restic", copy);
  vss_cli_print (run->cli, "restic snapshot %s: %" G_GINT64_FORMAT " new, %" G_GINT64_FORMAT
                 " changed, %" G_GINT64_FORMAT " unmodified files, %" G_GINT64_FORMAT " bytes added\n",
                 id != NULL ? id : "?", vss_restic_get_int (msg, "files_new"),
                 vss_restic_get_int (msg, "files_changed"),
                 vss_restic_get_int (msg, "files_unmodified"), vss_restic_get_int (msg, "data_added"));
}

/* Reads restic's --json lines until it closes its stdout. */
static void
relay_output (gpointer data)
{
  ResticRun *run = data;
  close (run->in_fd);
  run->in_fd = -1;
  FILE *in = fdopen (run->out_fd, "r");
  if (in == NULL)
    return;
  run->out_fd = -1;
  g_autofree char *line = NULL;
  size_t size = 0;
  while (getline (&line, &size, in) > 0) {
    json_object *msg = json_tokener_parse (line);
    const char *type = msg != NULL
        ? json_object_get_string (json_object_object_get (msg, "message_type")) : NULL;
    if (g_strcmp0 (type, "status") == 0)
      on_status (run, msg);
    else if (g_strcmp0 (type, "summary") == 0)
      on_summary (run, msg);
    json_object_put (msg);
  }
  fclose (in);
}

/* restic's --exclude for vss's: a pattern with a slash is a path below
 * the --path tree, one without is a file name anywhere in it. */
static void
add_excludes (GPtrArray *argv, VssBackupCmd *cmd)
{
  for (guint p = 0; cmd->paths != NULL && cmd->paths[p] != NULL; p++)
    for (guint x = 0; cmd->excludes != NULL && cmd->excludes[x] != NULL; x++) {
      const char *pattern = cmd->excludes[x];
      g_ptr_array_add (argv, g_strdup ("--exclude"));
      g_ptr_array_add (argv, strchr (pattern, '/') != NULL
                                 ? g_build_filename (cmd->paths[p], pattern, NULL)
                                 : g_build_filename (cmd->paths[p], "**", pattern, NULL));
    }
}

static GPtrArray *
backup_argv (VssBackupCmd *cmd)
{
  GPtrArray *argv = vss_restic_argv (cmd->repo + strlen (VSS_RESTIC_PREFIX));
  /* Every snapshot is new inodes with new ctimes (a copy, a reflink, a
   * btrfs snapshot): mtime and size say what changed, or restic would
   * re-read everything every time. */
  const char *words[] = { "backup", "--json", "--ignore-inode", "--ignore-ctime",
                          "--files-from-verbatim", VSS_VIEW_SET_DIR "/paths", "--tag", VSS_RESTIC_TAG };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  g_ptr_array_add (argv, g_strdup ("--tag"));
  g_ptr_array_add (argv, g_strdup_printf ("vss-set=%s", cmd->set_id));
  g_ptr_array_add (argv, g_strdup ("--tag"));
  g_ptr_array_add (argv, g_strdup_printf ("vss-type=%s", vss_backup_type_to_string (cmd->type)));
  g_ptr_array_add (argv, g_strdup ("--tag"));
  g_ptr_array_add (argv, g_strdup_printf ("vss-host=%s", g_get_host_name ()));
  add_excludes (argv, cmd);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Exit 3: the snapshot was saved without some files.  It is tagged so no
 * restore takes it for a whole set. */
static void
tag_incomplete (VssBackupCmd *cmd)
{
  g_autoptr(GPtrArray) argv = vss_restic_argv (cmd->repo + strlen (VSS_RESTIC_PREFIX));
  const char *words[] = { "tag", "--add", VSS_RESTIC_TAG_INCOMPLETE, cmd->restic_snapshot, NULL };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  g_autoptr(GError) error = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, NULL, &error))
    g_printerr ("vss: cannot tag restic snapshot %s %s: %s\n", cmd->restic_snapshot,
                VSS_RESTIC_TAG_INCOMPLETE, error->message);
}

static gboolean
outcome (VssCli *cli, VssBackupCmd *cmd, int status, GError **error)
{
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "command", json_object_new_string ("restic backup"));
  json_object_object_add (obj, "exit_status", json_object_new_int (code));
  vss_cli_emit (cli, "exec", obj);
  gboolean saved = code == 0 && cmd->restic_snapshot != NULL;
  if (!vss_backup_job_mark (cmd->job, saved, error))
    return FALSE;
  if (saved)
    return TRUE;
  if (code == 3 && cmd->restic_snapshot != NULL)
    tag_incomplete (cmd);
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
               code == 3 ? "restic could not read some files (exit 3): snapshot %s is tagged "
                           VSS_RESTIC_TAG_INCOMPLETE " and the writers were told the backup did "
                           "not succeed"
                         : "restic backup failed (%s): the writers were told the backup did not succeed",
               code == 3 ? cmd->restic_snapshot
               : code < 0 ? "killed by a signal" : code == 12 ? "wrong password (exit 12)"
               : code == 10 ? "no repository there: restic init it first (exit 10)"
               : code == 11 ? "the repository is locked (exit 11)" : "see its messages above");
  return FALSE;
}

gboolean
vss_backup_cmd_restic (VssCli *cli, VssBackupCmd *cmd, GError **error)
{
  if (cmd->set_id == NULL)
    cmd->set_id = g_uuid_string_random ();
  g_autoptr(GPtrArray) argv = backup_argv (cmd);
  int fds[2];
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error)) {
    vss_backup_job_mark (cmd->job, FALSE, NULL);
    return FALSE;
  }
  ResticRun run = { cli, cmd, fds[0], fds[1] };
  int status = vss_backup_cmd_run_in_view (cmd, (const char *const *) argv->pdata, fds[1],
                                           relay_output, &run, error);
  if (run.in_fd >= 0)
    close (run.in_fd);
  if (run.out_fd >= 0)
    close (run.out_fd);
  vss_cli_progress_clear (cli);
  if (status == -1) {
    vss_backup_job_mark (cmd->job, FALSE, NULL);
    return FALSE;
  }
  return outcome (cli, cmd, status, error);
}
