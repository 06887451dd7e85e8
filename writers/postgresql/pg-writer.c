/* pg-writer.c — the PostgreSQL writer: a cluster's data directory and its
 * WAL, backed up in non-exclusive backup mode, so clients never stall.
 *
 * Backup mode makes any copy consistent: files copied while it is on, plus
 * the WAL from its start to its stop, recover to the stop point.  So the
 * freeze holds nothing: pg_backup_start comes before the snapshot
 * (prepare_snapshot), pg_backup_stop after it (post_snapshot), and the WAL
 * up to the stop is handed to the requester as post-snapshot files of the
 * wal component; the backup label goes into the document for restore. */
#include "pg-writer.h"

#include <string.h>

static void
pg_writer_free (PgWriter *self)
{
  pg_session_close (self->session);
  pg_config_free (self->config);
  g_free (self);
}

static gboolean
pg_load (VssWriter *writer, GError **error)
{
  PgConfig *config = pg_config_load (vss_writer_get_config_dir (writer), error);
  if (config == NULL)
    return FALSE;
  PgWriter *self = g_new0 (PgWriter, 1);
  self->config = config;
  vss_writer_set_user_data (writer, self, (GDestroyNotify) pg_writer_free);
  return TRUE;
}

/* Files PostgreSQL rewrites at start or that describe only the running
 * server (as pg_basebackup leaves them out). */
static gboolean
add_excludes (VssWriterMetadata *md, const char *data, GError **error)
{
  static const char *const files[] = { "postmaster.pid", "postmaster.opts", NULL };
  static const char *const dir_contents[] = { "pg_replslot", "pg_stat_tmp", "pg_dynshmem",
                                              "pg_notify", "pg_serial", "pg_snapshots",
                                              "pg_subtrans", NULL };
  for (guint i = 0; files[i] != NULL; i++)
    if (!vss_writer_metadata_add_exclude_files (md, data, files[i], FALSE, error))
      return FALSE;
  for (guint i = 0; dir_contents[i] != NULL; i++) {
    g_autofree char *dir = g_build_filename (data, dir_contents[i], NULL);
    if (!vss_writer_metadata_add_exclude_files (md, dir, "*", TRUE, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
pg_identify (VssWriter *writer, VssWriterMetadata *md, GError **error)
{
  PgWriter *self = vss_writer_get_user_data (writer);
  const char *data = self->config->data_directory, *wal = self->config->wal_directory;
  g_autofree char *caption = g_strdup_printf ("PostgreSQL data directory %s", data);
  return vss_writer_metadata_set_backup_schema (md, VSS_BS_COPY, error) &&
         vss_writer_metadata_set_restore_method (md, VSS_RME_RESTORE_IF_CAN_REPLACE, NULL, NULL,
                                                 VSS_WRE_ALWAYS, FALSE, error) &&
         vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, NULL, "data", caption, TRUE,
                                            TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (md, NULL, "data", data, "*", TRUE, NULL,
                                                      error) &&
         vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, NULL, "wal",
                                            "PostgreSQL WAL", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (md, NULL, "wal", wal, "*", TRUE, NULL,
                                                      error) &&
         /* backup mode makes a copy taken while PostgreSQL writes whole with
          * the WAL to the stop position: nothing needs the freeze, and
          * pg_backup_stop in post_snapshot comes after these copies */
         vss_writer_metadata_set_component_after_thaw (md, NULL, "data", error) &&
         vss_writer_metadata_set_component_after_thaw (md, NULL, "wal", error) &&
         /* the data directory is restorable only with the WAL to the backup's end */
         vss_writer_metadata_add_component_dependency (md, NULL, "data", PG_WRITER_ID, NULL,
                                                       "wal", error) &&
         add_excludes (md, data, error);
}

VssComponent *
pg_writer_component (VssWriter *writer, const char *name, gboolean selected_for_restore)
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *c = vss_writer_get_component (writer, i);
    if (g_str_equal (vss_component_get_name (c), name) &&
        (!selected_for_restore || vss_component_is_selected_for_restore (c)))
      return c;
  }
  return NULL;
}

static gboolean
pg_prepare_backup (VssWriter *writer)
{
  VssBackupType type = vss_writer_get_backup_type (writer);
  if (type == VSS_BT_FULL || type == VSS_BT_COPY)
    return TRUE;
  vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                          "a %s backup is not supported: PostgreSQL is backed up whole (full, copy)",
                          vss_backup_type_to_string (type));
  return FALSE;
}

/* Backup mode, when the data directory is in the backup.  Not in freeze:
 * the fast checkpoint may take seconds of I/O, and nothing needs holding. */
static gboolean
pg_prepare_snapshot (VssWriter *writer)
{
  PgWriter *self = vss_writer_get_user_data (writer);
  if (pg_writer_component (writer, "data", FALSE) == NULL)
    return TRUE;
  g_autofree char *label = g_strdup_printf ("vss %s", vss_writer_get_snapshot_set_id (writer));
  g_autoptr(GError) error = NULL;
  g_autofree char *started = NULL;
  pg_session_close (self->session);
  self->session = pg_session_start (self->config, label, &started, &error);
  if (self->session == NULL) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
    return FALSE;
  }
  g_message ("postgresql: backup mode on (%s snapshot); %s",
             vss_writer_get_snapshot_is_atomic (writer) ? "atomic" : "file-by-file", started);
  return TRUE;
}

/* The WAL from the backup's start to its stop, read by the requester
 * from pg_wal after this event (the session's slot keeps it there). */
static gboolean
add_wal (VssWriter *writer, PgWriter *self, const PgBackupEnd *end, GError **error)
{
  VssComponent *wal = pg_writer_component (writer, "wal", FALSE);
  g_autoptr(GPtrArray) files = pg_wal_segments (self->config->wal_directory, end->start_wal,
                                                end->stop_wal, end->segment_bytes, error);
  if (wal == NULL || files == NULL) {
    if (files != NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "the wal component is not in the backup (the data component needs it)");
    return FALSE;
  }
  for (guint i = 0; i < files->len; i++)
    if (!vss_component_add_post_snapshot_file (wal, g_ptr_array_index (files, i), error))
      return FALSE;
  return TRUE;
}

static gboolean
pg_post_snapshot (VssWriter *writer)
{
  PgWriter *self = vss_writer_get_user_data (writer);
  VssComponent *data = pg_writer_component (writer, "data", FALSE);
  if (self->session == NULL || data == NULL)
    return TRUE;
  g_autoptr(GError) error = NULL;
  g_autofree char *switched = NULL;
  g_autoptr(PgBackupEnd) end = pg_session_stop (self->session, &switched, &error);
  g_autofree char *metadata = end != NULL ? pg_backup_end_to_metadata (end) : NULL;
  if (end == NULL || !add_wal (writer, self, end, &error) ||
      !vss_component_set_backup_metadata (data, metadata, &error) ||
      !vss_component_set_backup_stamp (data, end->stop_lsn, &error)) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  g_message ("postgresql: backup mode off at %s; %s; WAL %s to %s provided", end->stop_lsn,
             switched, end->start_wal, end->stop_wal);
  return TRUE;
}

/* The requester has copied the WAL (or given up): let the slot go. */
static gboolean
pg_end_session (VssWriter *writer)
{
  PgWriter *self = vss_writer_get_user_data (writer);
  g_clear_pointer (&self->session, pg_session_close);
  return TRUE;
}

VSS_WRITER_DEFINE (PG_WRITER_ID, "postgresql", VSS_UT_USERDATA, 0,
                   .on_load = pg_load, .on_identify = pg_identify,
                   .on_prepare_backup = pg_prepare_backup,
                   .on_prepare_snapshot = pg_prepare_snapshot,
                   .on_post_snapshot = pg_post_snapshot,
                   .on_backup_complete = pg_end_session,
                   .on_backup_shutdown = pg_end_session, .on_abort = pg_end_session,
                   .on_pre_restore = pg_writer_pre_restore,
                   .on_post_restore = pg_writer_post_restore)
