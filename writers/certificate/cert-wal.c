/* cert-wal.c — WAL headers, stamps, the chain rule and truncation. */
#include "cert-wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert-store.h"

#define WAL_HEADER_SIZE 32
#define WAL_FRAME_HEADER_SIZE 24
#define WAL_MAGIC_LE 0x377f0682u
#define WAL_MAGIC_BE 0x377f0683u

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

gboolean
cert_wal_read (const char *db_path, CertWalHeader *out, GError **error)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  return cert_wal_read_file (wal, out, error);
}

gboolean
cert_wal_read_file (const char *wal, CertWalHeader *out, GError **error)
{
  guint8 header[WAL_HEADER_SIZE];
  struct stat st;

  *out = (CertWalHeader) { 0 };
  int fd = open (wal, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return TRUE;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", wal,
                 g_strerror (errno));
    return FALSE;
  }
  ssize_t n = pread (fd, header, sizeof header, 0);
  int saved = errno;
  gboolean stat_ok = fstat (fd, &st) == 0;
  close (fd);
  if (n < 0 || !stat_ok) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", wal,
                 g_strerror (saved));
    return FALSE;
  }
  if (n < WAL_HEADER_SIZE)
    return TRUE;
  guint32 magic = be32 (header), page_size = be32 (header + 8);
  if ((magic != WAL_MAGIC_LE && magic != WAL_MAGIC_BE) || page_size < 512) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: not a SQLite WAL (magic 0x%08x)", wal, magic);
    return FALSE;
  }
  out->valid = TRUE;
  out->seq = be32 (header + 12);
  out->salt1 = be32 (header + 16);
  out->salt2 = be32 (header + 20);
  out->frames = (guint32) ((st.st_size - WAL_HEADER_SIZE) / (page_size + WAL_FRAME_HEADER_SIZE));
  return TRUE;
}

char *
cert_wal_stamp_format (const CertWalHeader *header)
{
  if (!header->valid)
    return g_strdup ("sqlite-wal empty");
  return g_strdup_printf ("sqlite-wal seq=%u salt1=%08x salt2=%08x frames=%u", header->seq,
                          header->salt1, header->salt2, header->frames);
}

gboolean
cert_wal_stamp_parse (const char *stamp, CertWalHeader *out)
{
  *out = (CertWalHeader) { 0 };
  if (stamp == NULL)
    return FALSE;
  if (g_str_equal (stamp, "sqlite-wal empty"))
    return TRUE;
  out->valid = sscanf (stamp, "sqlite-wal seq=%u salt1=%x salt2=%x frames=%u", &out->seq,
                       &out->salt1, &out->salt2, &out->frames) == 4;
  return out->valid;
}

static gboolean
same_generation (const CertWalHeader *a, const CertWalHeader *b)
{
  return a->valid && b->valid && a->seq == b->seq && a->salt1 == b->salt1 && a->salt2 == b->salt2;
}

/* The truncation record lives beside the database, as SQLite's own
 * -wal/-shm files do: it belongs to that database and moves with it. */
static char *
truncation_record_path (const char *db_path)
{
  g_autofree char *dir = g_path_get_dirname (db_path);
  g_autofree char *base = g_path_get_basename (db_path);
  g_autofree char *leaf = g_strdup_printf (".%s.vss-truncated", base);
  return g_build_filename (dir, leaf, NULL);
}

/* After our own truncation the record holds the stamp of the backup it
 * followed and the generation the writer then started itself: a later
 * WAL of that generation continues the chain. */
static gboolean
continues_after_truncation (const char *db_path, const CertWalHeader *previous,
                            const CertWalHeader *now)
{
  g_autofree char *record_path = truncation_record_path (db_path);
  g_autofree char *record = NULL;
  CertWalHeader truncated, started;
  if (!g_file_get_contents (record_path, &record, NULL, NULL))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit (record, "\n", -1);
  return g_strv_length (lines) >= 2 && cert_wal_stamp_parse (lines[0], &truncated) &&
         cert_wal_stamp_parse (lines[1], &started) && same_generation (&truncated, previous) &&
         truncated.frames == previous->frames && same_generation (&started, now);
}

gboolean
cert_wal_check_chain (const char *db_path, const char *previous_stamp, const CertWalHeader *now,
                      GError **error)
{
  CertWalHeader previous;
  if (previous_stamp == NULL || !cert_wal_stamp_parse (previous_stamp, &previous)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                 "%s: a log backup continues a chain, but no previous backup stamp was given "
                 "(got %s%s%s): pass the stamp of the previous backup with "
                 "set_previous_backup_stamp, or take a full backup", db_path,
                 previous_stamp ? "\"" : "", previous_stamp ? previous_stamp : "none",
                 previous_stamp ? "\"" : "");
    return FALSE;
  }
  if (same_generation (&previous, now) || continues_after_truncation (db_path, &previous, now))
    return TRUE;
  g_autofree char *now_stamp = cert_wal_stamp_format (now);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: the WAL was reset since the previous backup (previous \"%s\", now \"%s\"): "
               "a checkpoint moved logged changes into the database, so no log holds them; "
               "the log chain is broken: take a full backup", db_path, previous_stamp, now_stamp);
  return FALSE;
}

void
cert_wal_forget_truncation (const char *db_path)
{
  g_autofree char *record_path = truncation_record_path (db_path);
  unlink (record_path);
}

static gboolean
checkpoint_truncate (sqlite3 *db, const char *db_path, GError **error)
{
  int rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  if (rc == SQLITE_OK)
    return TRUE;
  g_set_error (error, G_IO_ERROR, rc == SQLITE_BUSY ? G_IO_ERROR_BUSY : G_IO_ERROR_FAILED,
               "%s: wal_checkpoint(TRUNCATE): %s%s", db_path, sqlite3_errmsg (db),
               rc == SQLITE_BUSY ? " (readers or a writer kept it busy; the log stays, try "
                                   "again after the next backup)" : "");
  return FALSE;
}

/* SQLite gives the generation after a truncation the salts of whichever
 * connection writes first, so the writer writes first itself: a no-op
 * (user_version set to its own value) that starts a generation it can
 * name in the truncation record. */
static char *
start_generation (sqlite3 *db, const char *db_path, GError **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version = 0;
  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sql = g_strdup_printf ("BEGIN IMMEDIATE; PRAGMA user_version=%" G_GINT64_FORMAT "; COMMIT",
                         version);
  CertWalHeader started;
  if (!cert_db_exec (db, db_path, sql, error) || !cert_wal_read (db_path, &started, error))
    return NULL;
  return cert_wal_stamp_format (&started);
}

char *
cert_wal_carry_path (const char *db_path)
{
  g_autofree char *dir = g_path_get_dirname (db_path);
  g_autofree char *base = g_path_get_basename (db_path);
  g_autofree char *leaf = g_strdup_printf (".%s.vss-carry-wal", base);
  return g_build_filename (dir, leaf, NULL);
}

/* A copy of the WAL as it is (its frames are only ever appended within a
 * generation), synced, then renamed into place. */
static gboolean
write_carry (const char *db_path, const char *carry, GError **error)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autofree char *temp = g_strconcat (carry, ".tmp", NULL);
  g_autofree char *data = NULL;
  gsize size = 0;
  if (!g_file_get_contents (wal, &data, &size, error))
    return FALSE;
  int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0;
  for (gsize done = 0; ok && done < size;) {
    ssize_t n = write (fd, data + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    done += ok ? (gsize) n : 0;
  }
  ok = ok && fsync (fd) == 0;
  int saved = errno;
  if (fd >= 0)
    close (fd);
  if (ok && rename (temp, carry) == 0)
    return TRUE;
  saved = ok ? errno : saved;
  unlink (temp);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
               "%s: keeping the frames no backup has yet: %s", carry, g_strerror (saved));
  return FALSE;
}

/* Under the write lock (writers wait, readers go on), so the WAL cannot
 * move: still the generation the backup saved?  Frames appended since
 * the snapshot are in no backup yet: they go to the carry file, which the
 * next log backup saves with its WAL.  *before: data_version then. */
static gboolean
hold_and_carry (sqlite3 *db, const char *db_path, const CertWalHeader *saved, gint64 *before,
                char **out_note, GError **error)
{
  g_autofree char *carry = cert_wal_carry_path (db_path);
  CertWalHeader now;
  if (!cert_db_exec (db, db_path, "BEGIN IMMEDIATE", error))
    return FALSE;
  gboolean ok = cert_wal_read (db_path, &now, error);
  if (ok && !same_generation (saved, &now))
    *out_note = g_strdup_printf ("%s: the WAL was reset since the snapshot (not by this writer); "
                                 "not truncated", db_path);
  else if (ok && now.frames > saved->frames)
    ok = write_carry (db_path, carry, error);
  else if (ok)
    unlink (carry);
  *before = cert_db_data_version (db);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  return ok;
}

gboolean
cert_wal_truncate (const char *db_path, const char *stamp, char **out_note, GError **error)
{
  CertWalHeader saved;
  *out_note = NULL;
  if (!cert_wal_stamp_parse (stamp, &saved) || !saved.valid) {
    *out_note = g_strdup_printf ("%s: nothing logged at the backup; nothing to truncate", db_path);
    return TRUE;
  }
  sqlite3 *db = cert_db_open (db_path, 1000, error);
  if (db == NULL)
    return FALSE;
  /* data_version before and after: another connection's commit between
   * the lock and the checkpoint would be checkpointed into no log. */
  gint64 before = -1;
  g_autofree char *record_path = truncation_record_path (db_path);
  g_autofree char *carry = cert_wal_carry_path (db_path);
  gboolean ok = hold_and_carry (db, db_path, &saved, &before, out_note, error);
  if (ok && *out_note == NULL && (ok = checkpoint_truncate (db, db_path, error))) {
    g_autofree char *started = start_generation (db, db_path, error);
    ok = started != NULL;
    if (ok && cert_db_data_version (db) == before) {
      g_autofree char *record = g_strdup_printf ("%s\n%s\n", stamp, started);
      ok = g_file_set_contents (record_path, record, -1, error);
    } else if (ok) {
      unlink (record_path);
      unlink (carry);
      *out_note = g_strdup_printf ("%s: a write raced the truncation; the next log backup "
                                   "will ask for a full backup", db_path);
    }
  } else if (!ok) {
    unlink (carry);
  }
  sqlite3_close (db);
  return ok;
}
