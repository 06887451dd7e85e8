/* vss-cs-backup.h — the certificate services online backup API (vss_cs_*),
 * modeled on the Certificate Services one (certbcli.h).
 *
 * The "server" is this machine's certificate writer: the stores listed in
 * <config dir>/certificate.conf (NSS directories, SQLite CA databases).
 * Backup, as with CertSrvBackup*:
 *
 *   vss_cs_is_server_online (NULL, &online);
 *   vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &hbc);
 *   vss_cs_backup_get_database_names (hbc, &names, &size);  // then open/read/close each
 *   vss_cs_backup_get_backup_logs (hbc, &logs, &size);      // same
 *   vss_cs_backup_get_dynamic_file_list (hbc, &files, &size); // copy these yourself
 *   vss_cs_backup_truncate_logs (hbc);                      // only once all is safe
 *   vss_cs_backup_end (hbc);
 *
 * Lists are double-NUL-terminated, each name prefixed by its VSS_CSBFT_*
 * byte (vss-online.h); free them with vss_cs_backup_free.  Opening a
 * database streams a consistent copy taken at open time (one
 * sqlite3_backup step) while writers continue.  Every call returns an
 * HRESULT-style code; vss_cs_get_last_error_message() says what was wrong
 * and what to do, for the calling thread. */
#pragma once

#include <glib.h>
#include <vss/vss-online.h>

G_BEGIN_DECLS

typedef gpointer VssCsHandle;    /* HCSBC */

#define VSS_CSBACKUP_TYPE_FULL 1u
#define VSS_CSBACKUP_TYPE_LOGS_ONLY 2u
#define VSS_CSRESTORE_TYPE_FULL 1u
#define VSS_CSCONTROL_SHUTDOWN 1u

/* Result codes beyond vss-online.h's (the hr* layout of ntdsbmsg.h). */
#define VSS_CS_E_INVALID_PARAM 0xC7FF0001u      /* a NULL or malformed argument */
#define VSS_CS_E_ERROR 0xC7FF0002u              /* the store failed; see the message */
#define VSS_CS_E_INVALID_HANDLE 0xC7FF0003u     /* ended, freed, or of the wrong kind */
#define VSS_CS_E_RESTORE_IN_PROGRESS 0xC7FF0004u
#define VSS_CS_E_ALREADY_OPEN 0xC7FF0005u       /* one open file per handle */
#define VSS_CS_E_COULD_NOT_CONNECT 0xC7FF0007u  /* another server, or no certificate writer */
#define VSS_CS_E_LOG_FILE_NOT_FOUND 0xC7FF000Au
#define VSS_CS_E_CIRCULAR_LOGGING 0xC7FF000Bu   /* logs-only of a journal-mode store */
#define VSS_CS_E_FULL_BACKUP_NOT_TAKEN 0xC7FF000Eu /* the WAL was reset: take a full backup */

/* What the last failing vss_cs_* call of this thread said; "" if none. */
const char *vss_cs_get_last_error_message (void);

VssHResult vss_cs_is_server_online (const char *server, gboolean *out_online);
VssHResult vss_cs_backup_prepare (const char *server, guint32 grbit_jet, guint32 backup_flags,
                                  VssCsHandle *out_handle);
VssHResult vss_cs_backup_get_database_names (VssCsHandle handle, char **out_list, guint32 *out_size);
VssHResult vss_cs_backup_get_backup_logs (VssCsHandle handle, char **out_list, guint32 *out_size);
VssHResult vss_cs_backup_get_dynamic_file_list (VssCsHandle handle, char **out_list,
                                                guint32 *out_size);
/* @name: a name from a list (with or without its type byte). */
VssHResult vss_cs_backup_open_file (VssCsHandle handle, const char *name, guint32 read_hint,
                                    guint64 *out_size);
/* ERROR_HANDLE_EOF at the end. */
VssHResult vss_cs_backup_read (VssCsHandle handle, void *buffer, guint32 size, guint32 *out_read);
VssHResult vss_cs_backup_close (VssCsHandle handle);
VssHResult vss_cs_backup_truncate_logs (VssCsHandle handle);
VssHResult vss_cs_backup_end (VssCsHandle handle);
void       vss_cs_backup_free (void *buffer);

typedef struct {
  const char *database_name;      /* the name the backup listed */
  const char *new_database_name;  /* where the restored copy is */
} VssCsRestoreMapEntry;

VssHResult vss_cs_restore_prepare (const char *server, guint32 restore_flags,
                                   VssCsHandle *out_handle);
VssHResult vss_cs_restore_get_database_locations (VssCsHandle handle, char **out_list,
                                                  guint32 *out_size);
/* Places the restore interlock for every mapped store.  @backup_log_path
 * holds the restored WALs ("<database basename>-wal"); @gen_low..@gen_high
 * are the WAL checkpoint sequence numbers they may carry. */
VssHResult vss_cs_restore_register (VssCsHandle handle, const char *checkpoint_path,
                                    const char *log_path, const VssCsRestoreMapEntry *map,
                                    guint32 count, const char *backup_log_path,
                                    guint32 gen_low, guint32 gen_high);
/* With VSS_S_OK: replays the logs, checks each database, clears the
 * interlock.  With a failure code the interlock stays. */
VssHResult vss_cs_restore_register_complete (VssCsHandle handle, VssHResult restore_state);
VssHResult vss_cs_restore_end (VssCsHandle handle);
VssHResult vss_cs_server_control (const char *server, guint32 control_flags, guint32 *out_size,
                                  guint8 **out_data);

/* The restore interlock: FALSE (with the reason) while a restore is
 * registered and not completed for @path (a store, or a file in it). */
gboolean vss_cs_restore_gate_check (const char *path, GError **error);
/* Closes the gate of @database (a restore of it starts) / opens it again
 * (the restored database was checked).  For the certificate writer's
 * pre_restore and post_restore. */
gboolean vss_cs_restore_gate_close (const char *database, GError **error);
void     vss_cs_restore_gate_open (const char *database);

/* ---- for the certificate writer module: the table behind the facade ---- */

#define VSS_CS_BACKUP_INTERFACE "vss.cs-backup.1"

typedef struct _VssWriter VssWriter;

typedef struct {
  guint32 version;   /* 3 (2: without the two calls at the end; 1: nor streaming) */
  /* Absolute paths, of every configured store. */
  GPtrArray *(*list_databases) (VssWriter *writer, GError **error);
  GPtrArray *(*list_logs) (VssWriter *writer, GError **error);
  GPtrArray *(*list_dynamic_files) (VssWriter *writer, GError **error);
  /* FALSE (saying which store and its journal_mode) when one has no log. */
  gboolean (*check_logs_only) (VssWriter *writer, GError **error);
  /* A consistent copy of @database into the new file @dest, and the WAL
   * generation it was taken in (@out_stamp, NULL for journal mode). */
  gboolean (*copy_database) (VssWriter *writer, const char *database, const char *dest,
                             char **out_stamp, GError **error);
  /* A copy of WAL @log into @dest; fails when its generation is not
   * @stamp (when @stamp is not NULL). */
  gboolean (*copy_log) (VssWriter *writer, const char *log, const char *dest, const char *stamp,
                        GError **error);
  gboolean (*truncate_logs) (VssWriter *writer, GError **error);
  /* After the files are back: put @wal (or none) beside @database when its
   * checkpoint sequence is within [gen_low, gen_high], open, check. */
  gboolean (*restore_database) (VssWriter *writer, const char *database, const char *wal,
                                guint32 gen_low, guint32 gen_high, GError **error);
  /* version 2: @database as it is now, read in place (no copy on disk);
   * *out_stamp as for copy_database.  NULL without an error when it
   * cannot be streamed in place: copy_database it. */
  gpointer (*open_database) (VssWriter *writer, const char *database, guint64 *out_size,
                             char **out_stamp, GError **error);
  /* Bytes read, 0 at the end, -1 with @error. */
  gssize (*stream_read) (gpointer stream, void *buffer, gsize size, GError **error);
  void (*stream_close) (gpointer stream);
  /* version 3: copy_log under the write lock; *out_log_stamp names the
   * generation and frame count saved, for truncate_log. */
  gboolean (*copy_log_stamped) (VssWriter *writer, const char *log, const char *dest,
                                const char *db_stamp, char **out_log_stamp, GError **error);
  /* version 3: truncates @log when it holds only what @log_stamp saved;
   * FALSE saying why (frames written since, readers in the way). */
  gboolean (*truncate_log) (VssWriter *writer, const char *log, const char *log_stamp,
                            GError **error);
} VssCsBackupInterface;

G_END_DECLS
