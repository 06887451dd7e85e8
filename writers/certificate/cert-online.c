/* cert-online.c — the "vss.cs-backup.1" table: what the vss_cs_* facade
 * in libvss asks of the stores (libvss links no SQLite). */
#include "cert-writer.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cert-stream.h"
#include "cert-wal.h"

static CertConfig *
config_of (VssWriter *writer)
{
  return ((CertWriter *) vss_writer_get_user_data (writer))->config;
}

static char *
mode_of (const char *path, GError **error)
{
  sqlite3 *db = cert_db_open (path, 2000, error);
  char *mode = db != NULL ? cert_db_journal_mode (db, path, error) : NULL;
  sqlite3_close (db);
  return mode;
}

static GPtrArray *
list_databases (VssWriter *writer, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  CertConfig *config = config_of (writer);
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    for (guint d = 0; d < store->databases->len; d++)
      g_ptr_array_add (out, g_strdup (g_ptr_array_index (store->databases, d)));
  }
  return out;
}

static GPtrArray *
list_logs (VssWriter *writer, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  CertConfig *config = config_of (writer);
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    if (store->kind != CERT_STORE_SQLITE)
      continue;
    g_autofree char *mode = mode_of (store->path, error);
    if (mode == NULL)
      return NULL;
    if (g_str_equal (mode, "wal"))
      g_ptr_array_add (out, g_strconcat (store->path, "-wal", NULL));
  }
  return g_steal_pointer (&out);
}

static GPtrArray *
list_dynamic_files (VssWriter *writer, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  CertConfig *config = config_of (writer);
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    if (store->kind == CERT_STORE_NSS)
      g_ptr_array_add (out, g_build_filename (store->path, "pkcs11.txt", NULL));
  }
  return out;
}

static gboolean
check_logs_only (VssWriter *writer, GError **error)
{
  CertConfig *config = config_of (writer);
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    for (guint d = 0; d < store->databases->len; d++) {
      const char *path = g_ptr_array_index (store->databases, d);
      g_autofree char *mode = mode_of (path, error);
      if (mode == NULL)
        return FALSE;
      if (!g_str_equal (mode, "wal")) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "%s uses journal_mode=%s (a rollback journal), which keeps no log: "
                     "take a full backup", path, mode);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* One sqlite3_backup step under a read transaction: a consistent copy as
 * of now that concurrent writers neither block nor restart, and the WAL
 * generation of that instant (a read transaction keeps the WAL from
 * being reset). */
static gboolean
copy_database (VssWriter *writer, const char *database, const char *dest, char **out_stamp,
               GError **error)
{
  sqlite3 *src = cert_db_open (database, 2000, error), *dst = NULL;
  gboolean ok = src != NULL && cert_db_exec (src, database, "BEGIN; SELECT count(*) FROM sqlite_master", error);
  CertWalHeader wal = { 0 };
  if (ok && (ok = cert_wal_read (database, &wal, error)))
    *out_stamp = wal.valid ? cert_wal_stamp_format (&wal) : NULL;
  if (ok && sqlite3_open_v2 (dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    ok = FALSE, g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", dest, sqlite3_errmsg (dst));
  if (ok) {
    sqlite3_backup *backup = sqlite3_backup_init (dst, "main", src, "main");
    int rc = backup != NULL ? sqlite3_backup_step (backup, -1) : sqlite3_errcode (dst);
    sqlite3_backup_finish (backup);
    if (rc != SQLITE_DONE) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: backup into %s: %s", database,
                   dest, sqlite3_errstr (rc));
      ok = FALSE;
    }
  }
  sqlite3_close (dst);
  if (src != NULL)
    sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (src);
  return ok;
}

static gboolean
copy_bytes (const char *from, const char *to, GError **error)
{
  g_autoptr(GFile) src = g_file_new_for_path (from);
  g_autoptr(GFile) dst = g_file_new_for_path (to);
  return g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
}

/* Under a read transaction the WAL is neither reset nor rewound, so the
 * copy holds every frame up to now (a torn tail frame is dropped by
 * SQLite's recovery, as after a crash).  With @out_stamp the copy is made
 * under the write lock instead, so it holds exactly the frames the stamp
 * counts: what a later truncation may drop. */
static gboolean
copy_log_locked (const char *log, const char *dest, const char *stamp, char **out_stamp,
                 GError **error)
{
  if (!g_str_has_suffix (log, "-wal"))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not a WAL", log), FALSE;
  g_autofree char *database = g_strndup (log, strlen (log) - 4);
  sqlite3 *db = cert_db_open (database, 2000, error);
  const char *begin = out_stamp != NULL ? "BEGIN IMMEDIATE; SELECT count(*) FROM sqlite_master"
                                        : "BEGIN; SELECT count(*) FROM sqlite_master";
  gboolean ok = db != NULL && cert_db_exec (db, database, begin, error);
  CertWalHeader now, then;
  if (ok && (ok = cert_wal_read (database, &now, error)) && stamp != NULL &&
      cert_wal_stamp_parse (stamp, &then) &&
      (!now.valid || now.seq != then.seq || now.salt1 != then.salt1 || now.salt2 != then.salt2)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s: the WAL was reset after the database was copied (then \"%s\"): the copy and "
                 "this log do not fit together; take the backup again", log, stamp);
    ok = FALSE;
  }
  if (ok)
    ok = copy_bytes (log, dest, error);
  if (ok && out_stamp != NULL)
    *out_stamp = cert_wal_stamp_format (&now);
  if (db != NULL)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);
  return ok;
}

/* The WAL pinned from the database stream until its log is copied: a
 * reader in a read transaction keeps SQLite from restarting the WAL, so
 * an autocheckpoint of the application in between cannot make the log
 * and the copy stop fitting together (it did under a steady write load). */
static void
pin_wal (VssWriter *writer, const char *database)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  if (g_hash_table_contains (self->wal_pins, database))
    return;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = cert_db_open (database, 2000, &error);
  if (db == NULL || !cert_db_exec (db, database, "BEGIN; SELECT count(*) FROM sqlite_master", &error)) {
    g_message ("certificate: cannot pin the WAL of %s during the backup: %s", database,
               error != NULL ? error->message : "?");
    sqlite3_close (db);
    return;
  }
  g_hash_table_insert (self->wal_pins, g_strdup (database), db);
}

static void
unpin_wal (VssWriter *writer, const char *database)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  sqlite3 *db = g_hash_table_lookup (self->wal_pins, database);
  if (db != NULL)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  g_hash_table_remove (self->wal_pins, database);
}

static gboolean
copy_log (VssWriter *writer, const char *log, const char *dest, const char *stamp, GError **error)
{
  gboolean ok = copy_log_locked (log, dest, stamp, NULL, error);
  g_autofree char *database = g_str_has_suffix (log, "-wal") ? g_strndup (log, strlen (log) - 4) : NULL;
  if (database != NULL)
    unpin_wal (writer, database);
  return ok;
}

static gboolean
copy_log_stamped (VssWriter *writer, const char *log, const char *dest, const char *db_stamp,
                  char **out_log_stamp, GError **error)
{
  gboolean ok = copy_log_locked (log, dest, db_stamp, out_log_stamp, error);
  g_autofree char *database = g_str_has_suffix (log, "-wal") ? g_strndup (log, strlen (log) - 4) : NULL;
  if (database != NULL)
    unpin_wal (writer, database);
  return ok;
}

static gboolean
truncate_log (VssWriter *writer, const char *log, const char *log_stamp, GError **error)
{
  g_autofree char *database = g_strndup (log, strlen (log) - strlen ("-wal"));
  return cert_wal_truncate_saved (database, log_stamp, error);
}

static gboolean
truncate_logs (VssWriter *writer, GError **error)
{
  g_autoptr(GPtrArray) logs = list_logs (writer, error);
  for (guint i = 0; logs != NULL && i < logs->len; i++) {
    const char *log = g_ptr_array_index (logs, i);
    g_autofree char *database = g_strndup (log, strlen (log) - 4);
    sqlite3 *db = cert_db_open (database, 2000, error);
    int rc = db != NULL ? sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL)
                        : SQLITE_CANTOPEN;
    if (db != NULL && rc != SQLITE_OK)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s: wal_checkpoint(TRUNCATE): %s; "
                   "the log stays, try again", database, sqlite3_errmsg (db));
    sqlite3_close (db);
    if (rc != SQLITE_OK)
      return FALSE;
    cert_wal_forget_truncation (database);
  }
  return logs != NULL;
}

static gboolean
restore_database (VssWriter *writer, const char *database, const char *wal, guint32 gen_low,
                  guint32 gen_high, GError **error)
{
  g_autofree char *live_wal = g_strconcat (database, "-wal", NULL);
  g_autofree char *shm = g_strconcat (database, "-shm", NULL);
  CertWalHeader header;
  unlink (shm);   /* a stale index would describe another WAL */
  if (wal != NULL) {
    if (!cert_wal_read_file (wal, &header, error))
      return FALSE;
    if (header.valid && (header.seq < gen_low || header.seq > gen_high)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: its checkpoint sequence %u is outside the registered range %u-%u: "
                   "register the generations the restored logs carry", wal, header.seq,
                   gen_low, gen_high);
      return FALSE;
    }
    if (!copy_bytes (wal, live_wal, error))
      return FALSE;
  }
  sqlite3 *db = cert_db_open (database, 2000, error);
  gboolean ok = db != NULL && cert_db_integrity_check (db, database, error);
  if (ok && wal != NULL)
    sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  sqlite3_close (db);
  cert_wal_forget_truncation (database);
  return ok;
}

static gpointer
open_database (VssWriter *writer, const char *database, guint64 *out_size, char **out_stamp,
               GError **error)
{
  GError *local = NULL;
  CertStream *stream = cert_stream_open (database, out_size, out_stamp, &local);
  if (stream != NULL)
    pin_wal (writer, database);   /* WAL stores only: a journal store's reader would block */
  if (stream == NULL && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_clear_error (&local);   /* a rollback-journal store: copy_database it */
  if (local != NULL)
    g_propagate_error (error, local);
  return stream;
}

static gssize
stream_read (gpointer stream, void *buffer, gsize size, GError **error)
{
  return cert_stream_read (stream, buffer, size, error);
}

static void
stream_close (gpointer stream)
{
  cert_stream_close (stream);
}

static const VssCsBackupInterface interface = {
  .version = 3,
  .list_databases = list_databases,
  .list_logs = list_logs,
  .list_dynamic_files = list_dynamic_files,
  .check_logs_only = check_logs_only,
  .copy_database = copy_database,
  .copy_log = copy_log,
  .truncate_logs = truncate_logs,
  .restore_database = restore_database,
  .open_database = open_database,
  .stream_read = stream_read,
  .stream_close = stream_close,
  .copy_log_stamped = copy_log_stamped,
  .truncate_log = truncate_log,
};

const void *
cert_online_interface (void)
{
  return &interface;
}
