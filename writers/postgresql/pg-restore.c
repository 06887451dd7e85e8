/* pg-restore.c — restore: never over a running cluster, and a restored
 * data directory that starts by itself.
 *
 * The restored directory holds the files copied in backup mode and, in
 * pg_wal, the WAL to the backup's stop.  post_restore writes the backup
 * label (and tablespace map) that pg_backup_stop returned: with it,
 * PostgreSQL starts recovery from the backup's checkpoint instead of
 * trusting pg_control, and replays pg_wal to its end — past the stop, so
 * the result is consistent.  recovery.signal is left absent on purpose:
 * without an archive there is no restore_command, and plain crash
 * recovery with a label is what pg_basebackup -X stream gives too: the
 * server comes up on the same timeline, ready for writes. */
#include "pg-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* The data directory where the restore puts @c's files. */
static char *
restore_data_dir (VssWriter *writer, VssComponent *c)
{
  PgWriter *self = vss_writer_get_user_data (writer);
  if (g_str_equal (vss_component_get_name (c), "wal")) {
    g_autofree char *wal = vss_component_get_restore_path (c, self->config->wal_directory);
    return g_path_get_dirname (wal);
  }
  return vss_component_get_restore_path (c, self->config->data_directory);
}

/* The pid of a live postmaster of @data_dir, or 0. */
static pid_t
running_postmaster (const char *data_dir)
{
  g_autofree char *pidfile = g_build_filename (data_dir, "postmaster.pid", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (pidfile, &text, NULL, NULL))
    return 0;
  gint64 pid = g_ascii_strtoll (text, NULL, 10);
  if (pid <= 0 || pid > G_MAXINT)
    return 0;
  return kill ((pid_t) pid, 0) == 0 || errno == EPERM ? (pid_t) pid : 0;
}

gboolean
pg_writer_pre_restore (VssWriter *writer)
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *c = vss_writer_get_component (writer, i);
    if (!vss_component_is_selected_for_restore (c))
      continue;
    g_autofree char *dir = restore_data_dir (writer, c);
    pid_t pid = running_postmaster (dir);
    if (pid == 0)
      continue;
    g_autofree char *msg = g_strdup_printf (
        "PostgreSQL (pid %d) is running on %s: stop it (pg_ctl stop -D %s) and restore again",
        (int) pid, dir, dir);
    vss_component_set_pre_restore_failure_msg (c, msg, NULL);
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", msg);
    return FALSE;
  }
  return TRUE;
}

/* Writes @text to @dir/@name, owned like @dir (the cluster's user), 0600. */
static gboolean
write_owned (const char *dir, const char *name, const char *text, GError **error)
{
  struct stat st;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (stat (dir, &st) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  if (chown (path, st.st_uid, st.st_gid) != 0 && geteuid () == 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "chown %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
remove_if_there (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot remove %s: %s", path,
               g_strerror (errno));
  return FALSE;
}

/* The restored directory can start: the label, no recovery signal, and
 * the WAL to the stop in its pg_wal. */
static gboolean
prepare_recovery (const char *dir, const PgBackupEnd *end, GError **error)
{
  g_autofree char *stop_wal = g_build_filename (dir, "pg_wal", end->stop_wal, NULL);
  if (!g_file_test (stop_wal, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s is missing: the data directory is restorable only with the WAL to the "
                 "backup's end; restore postgresql:wal too", stop_wal);
    return FALSE;
  }
  g_autofree char *wal_dir = g_build_filename (dir, "pg_wal", NULL);
  guint removed = 0;
  if (!pg_wal_reaches (stop_wal, end->stop_lsn, end->segment_bytes, error) ||
      !pg_wal_remove_after (wal_dir, end->stop_wal, &removed, error))
    return FALSE;
  if (removed > 0)
    g_message ("postgresql: removed %u WAL segment(s) after %s from %s: recovery ends at the "
               "backup, not at what the directory restored over had", removed, end->stop_wal,
               wal_dir);
  return write_owned (dir, "backup_label", end->label, error) &&
         (end->tablespace_map == NULL || *end->tablespace_map == '\0' ||
          write_owned (dir, "tablespace_map", end->tablespace_map, error)) &&
         remove_if_there (dir, "recovery.signal", error) &&
         remove_if_there (dir, "standby.signal", error);
}

gboolean
pg_writer_post_restore (VssWriter *writer)
{
  VssComponent *data = pg_writer_component (writer, "data", TRUE);
  if (data == NULL || vss_component_get_file_restore_status (data) == VSS_RS_FAILED ||
      vss_component_get_additional_restores (data))
    return TRUE;
  g_autofree char *dir = restore_data_dir (writer, data);
  g_autoptr(GError) error = NULL;
  g_autoptr(PgBackupEnd) end = pg_backup_end_from_metadata (vss_component_get_backup_metadata (data), &error);
  if (end == NULL || !prepare_recovery (dir, end, &error)) {
    vss_component_set_post_restore_failure_msg (data, error->message, NULL);
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  g_message ("postgresql: %s has its backup label; start PostgreSQL on it to recover to %s",
             dir, end->stop_lsn != NULL ? end->stop_lsn : "the backup's end");
  return TRUE;
}
