/* cert-wal.c — WAL headers, stamps, the chain rule and truncation. */
#include "cert-wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert-store.h"

gboolean
cert_wal_read (const char *db_path, CertWalHeader *out, GError **error)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  return cert_wal_read_file (wal, out, error);
}

/* The frames of this generation: those carrying the header's salts.  A
 * restarted WAL keeps its file size, and the older frames past the new
 * ones carry the old salts. */
static guint32
count_frames (int fd, const guint8 *header, guint32 page_size)
{
  guint8 frame[CERT_WAL_FRAME_HEADER_SIZE];
  guint32 frames = 0;
  off_t stride = (off_t) page_size + CERT_WAL_FRAME_HEADER_SIZE;
  while (pread (fd, frame, sizeof frame, CERT_WAL_HEADER_SIZE + frames * stride) == sizeof frame &&
         memcmp (frame + 8, header + 16, 8) == 0)
    frames++;
  return frames;
}

gboolean
cert_wal_read_file (const char *wal, CertWalHeader *out, GError **error)
{
  guint8 header[CERT_WAL_HEADER_SIZE];

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
  guint32 magic = cert_wal_be32 (header), page_size = cert_wal_be32 (header + 8);
  gboolean is_wal = n == CERT_WAL_HEADER_SIZE && (magic == CERT_WAL_MAGIC_LE || magic == CERT_WAL_MAGIC_BE) &&
                    page_size >= 512;
  if (is_wal) {
    out->valid = TRUE;
    out->seq = cert_wal_be32 (header + 12);
    out->salt1 = cert_wal_be32 (header + 16);
    out->salt2 = cert_wal_be32 (header + 20);
    out->page_size = page_size;
    out->frames = count_frames (fd, header, page_size);
  }
  close (fd);
  if (n < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", wal,
                 g_strerror (saved));
    return FALSE;
  }
  if (n >= CERT_WAL_HEADER_SIZE && !is_wal) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: not a SQLite WAL (magic 0x%08x)", wal, magic);
    return FALSE;
  }
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

/* ".<db><suffix>" beside the database, as SQLite's own -wal/-shm files
 * are: it belongs to that database and moves with it. */
static char *
beside_db (const char *db_path, const char *suffix)
{
  g_autofree char *dir = g_path_get_dirname (db_path);
  g_autofree char *base = g_path_get_basename (db_path);
  g_autofree char *leaf = g_strdup_printf (".%s%s", base, suffix);
  return g_build_filename (dir, leaf, NULL);
}

static char *
truncation_record_path (const char *db_path)
{
  return beside_db (db_path, ".vss-truncated");
}

/* After our own truncation the record holds the stamp of the backup it
 * followed and the generation it restarted.  The next writer starts the
 * generation after it (salt1 one higher), or, while readers still use
 * the old frames, goes on appending to it: either continues the chain;
 * any later reset (another +1, or a WAL made anew) does not. */
static gboolean
continues_after_truncation (const char *db_path, const char *previous_stamp,
                            const CertWalHeader *now)
{
  g_autofree char *record_path = truncation_record_path (db_path);
  g_autofree char *record = NULL;
  CertWalHeader reset;
  if (!g_file_get_contents (record_path, &record, NULL, NULL))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit (record, "\n", -1);
  return g_strv_length (lines) >= 2 && g_str_equal (lines[0], previous_stamp) &&
         cert_wal_stamp_parse (lines[1], &reset) && reset.valid && now->valid &&
         (same_generation (&reset, now) || now->salt1 == reset.salt1 + 1);
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
  if (same_generation (&previous, now) || continues_after_truncation (db_path, previous_stamp, now))
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

char *
cert_wal_carry_path (const char *db_path)
{
  return beside_db (db_path, ".vss-carry-wal");
}

/* The WAL as it is under the write lock: this generation's frames only
 * (older ones past them, left by a restart, are noise). */
static GByteArray *
read_generation (const char *db_path, const CertWalHeader *now, GError **error)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autofree char *data = NULL;
  gsize size = 0;
  if (!g_file_get_contents (wal, &data, &size, error))
    return NULL;
  size = MIN (size, CERT_WAL_HEADER_SIZE + (gsize) now->frames * (now->page_size + CERT_WAL_FRAME_HEADER_SIZE));
  return g_byte_array_new_take ((guint8 *) g_steal_pointer (&data), size);
}

/* Frames another connection committed between our lock and the
 * checkpoint: the checkpoint moved them into the database, and they are
 * still in the WAL file, past the ones we read (the next writer starts
 * the WAL over from its first frame).  Each must still carry the
 * generation's salts.  FALSE when one was already overwritten. */
static gboolean
add_late_frames (const char *db_path, const CertWalHeader *now, GByteArray *frames, int upto)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  gsize frame_size = now->page_size + CERT_WAL_FRAME_HEADER_SIZE;
  g_autofree guint8 *frame = g_malloc (frame_size);
  int fd = open (wal, O_RDONLY | O_CLOEXEC);
  gboolean ok = fd >= 0;
  for (int i = (int) now->frames; ok && i < upto; i++) {
    ok = pread (fd, frame, frame_size, CERT_WAL_HEADER_SIZE + (off_t) i * frame_size) == (ssize_t) frame_size &&
         memcmp (frame + 8, frames->data + 16, 8) == 0;
    if (ok)
      g_byte_array_append (frames, frame, frame_size);
  }
  if (fd >= 0)
    close (fd);
  return ok;
}

/* Written beside the database, synced, then renamed into place. */
static gboolean
write_carry (const char *carry, const GByteArray *frames, GError **error)
{
  g_autofree char *temp = g_strconcat (carry, ".tmp", NULL);
  int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0;
  for (gsize done = 0; ok && done < frames->len;) {
    ssize_t n = write (fd, frames->data + done, frames->len - done);
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

/* Under the write lock (writers wait, readers go on) the WAL cannot move:
 * is it still the generation the backup saved?  Then its frames are read
 * (those past the snapshot are in no backup yet) and the lock let go.
 * NULL with *out_note when there is nothing to truncate. */
static GByteArray *
read_under_lock (sqlite3 *db, const char *db_path, const CertWalHeader *saved,
                 CertWalHeader *out_now, char **out_note, GError **error)
{
  GByteArray *frames = NULL;
  if (!cert_db_exec (db, db_path, "BEGIN IMMEDIATE", error))
    return NULL;
  if (cert_wal_read (db_path, out_now, error) && !same_generation (saved, out_now))
    *out_note = g_strdup_printf ("%s: the WAL was reset since the snapshot (not by this writer); "
                                 "not truncated", db_path);
  else if (out_now->valid)
    frames = read_generation (db_path, out_now, error);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  return frames;
}

/* RESTART, not TRUNCATE: after a TRUNCATE the next writer may give the WAL
 * random salts; after a RESTART it is always the generation after
 * (salt1 + 1), and the file's space is reused.  *out_frames: how many
 * frames the WAL held when it was checkpointed. */
static gboolean
checkpoint_restart (sqlite3 *db, const char *db_path, int *out_frames, GError **error)
{
  int rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_RESTART, out_frames, NULL);
  if (rc == SQLITE_OK)
    return TRUE;
  g_set_error (error, G_IO_ERROR, rc == SQLITE_BUSY ? G_IO_ERROR_BUSY : G_IO_ERROR_FAILED,
               "%s: wal_checkpoint(RESTART): %s%s", db_path, sqlite3_errmsg (db),
               rc == SQLITE_BUSY ? " (readers kept it busy; the log stays, it is truncated "
                                   "after the next backup)" : "");
  return FALSE;
}

gboolean
cert_wal_truncate (const char *db_path, const char *stamp, char **out_note, GError **error)
{
  CertWalHeader saved, now;
  *out_note = NULL;
  if (!cert_wal_stamp_parse (stamp, &saved) || !saved.valid) {
    *out_note = g_strdup_printf ("%s: nothing logged at the backup; nothing to truncate", db_path);
    return TRUE;
  }
  sqlite3 *db = cert_db_open (db_path, 1000, error);
  if (db == NULL)
    return FALSE;
  g_autofree char *record_path = truncation_record_path (db_path);
  g_autofree char *carry = cert_wal_carry_path (db_path);
  g_autoptr(GByteArray) frames = read_under_lock (db, db_path, &saved, &now, out_note, error);
  /* tests widen the gap between the lock and the checkpoint (docs/env.md) */
  const char *delay = g_getenv ("VSS_CERT_TRUNCATE_DELAY_MS");
  if (frames != NULL && delay != NULL)
    g_usleep (g_ascii_strtoull (delay, NULL, 10) * 1000);
  int checkpointed = -1;
  gboolean ok = frames != NULL && checkpoint_restart (db, db_path, &checkpointed, error);
  if (ok && (checkpointed < (int) now.frames || !add_late_frames (db_path, &now, frames, checkpointed))) {
    unlink (record_path);
    unlink (carry);
    *out_note = g_strdup_printf ("%s: writes raced the truncation past what could be kept; the "
                                 "next log backup will ask for a full backup", db_path);
  } else if (ok) {
    /* the frames past the snapshot go to the carry file, then the record */
    g_autofree char *reset = cert_wal_stamp_format (&now);
    g_autofree char *record = g_strdup_printf ("%s\n%s\n", stamp, reset);
    if (checkpointed > (int) now.frames)
      g_debug ("certificate: %s: kept %d frames committed while the log was truncated", db_path,
               checkpointed - (int) now.frames);
    if (checkpointed > (int) saved.frames)
      ok = write_carry (carry, frames, error);
    else
      unlink (carry);
    ok = ok && g_file_set_contents (record_path, record, -1, error);
  }
  sqlite3_close (db);
  /* a note without an error: nothing truncated, nothing failed */
  return ok || (*out_note != NULL && (error == NULL || *error == NULL));
}

/* Every frame into the database, through a connection of its own: the
 * locking one cannot checkpoint.  PASSIVE takes no lock, so it runs under
 * the other connection's write lock; it copies every frame when no
 * reader uses an older snapshot.  It must first read the database: a
 * connection that has not seen the WAL checkpoints nothing and says OK. */
static gboolean
checkpoint_all (const char *db_path, const CertWalHeader *now, GError **error)
{
  sqlite3 *db = cert_db_open (db_path, 1000, error);
  int log = -1, done = -1;
  int rc = db != NULL && cert_db_exec (db, db_path, "SELECT count(*) FROM sqlite_master", error)
    ? sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) : SQLITE_ERROR;
  gboolean ok = rc == SQLITE_OK && log == (int) now->frames && done == log;
  if (db != NULL && !ok && (error == NULL || *error == NULL))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 "%s: the checkpoint moved %d of %u frames (%s): a reader still uses an older "
                 "snapshot; the log stays, truncate again", db_path, done, now->frames,
                 sqlite3_errstr (rc));
  sqlite3_close (db);
  return ok;
}

gboolean
cert_wal_truncate_saved (const char *db_path, const char *saved_stamp, GError **error)
{
  CertWalHeader saved, now;
  if (!cert_wal_stamp_parse (saved_stamp, &saved) || !saved.valid)
    return TRUE;                /* nothing was logged: nothing to truncate */
  sqlite3 *db = cert_db_open (db_path, 2000, error);
  if (db == NULL || !cert_db_exec (db, db_path, "BEGIN IMMEDIATE; SELECT count(*) FROM sqlite_master", error)) {
    sqlite3_close (db);
    return FALSE;
  }
  gboolean ok = cert_wal_read (db_path, &now, error);
  if (ok && (!same_generation (&saved, &now) || now.frames != saved.frames)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                 "%s: %u frames were written after the log was saved (saved \"%s\"): they are in "
                 "no backup, so the log is not truncated; save the log again and truncate at once",
                 db_path, same_generation (&saved, &now) ? now.frames - saved.frames : now.frames,
                 saved_stamp);
    ok = FALSE;
  }
  ok = ok && checkpoint_all (db_path, &now, error);
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
  return ok;
}
