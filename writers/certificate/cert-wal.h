/* cert-wal.h — the WAL as a log: its header (generation), backup stamps,
 * the log-chain rule, and truncation after a successful backup.
 *
 * A WAL generation is its checkpoint sequence and salts (header offsets
 * 12, 16, 20); SQLite starts a new generation on the first write after a
 * complete checkpoint, so a changed generation means logged changes went
 * into the database file and are in no log: the chain is broken. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CERT_WAL_HEADER_SIZE 32
#define CERT_WAL_FRAME_HEADER_SIZE 24
#define CERT_WAL_MAGIC_LE 0x377f0682u   /* checksums over little-endian words */
#define CERT_WAL_MAGIC_BE 0x377f0683u

/* The WAL's header and frame header fields are big-endian 32-bit words. */
static inline guint32
cert_wal_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

typedef struct {
  gboolean valid;     /* FALSE: no WAL file, or empty (no generation yet) */
  guint32 seq;
  guint32 salt1;
  guint32 salt2;
  guint32 frames;     /* of this generation (carrying its salts) */
  guint32 page_size;
} CertWalHeader;

/* Reads <db>-wal (never opens the database or -shm files, so no lock of
 * this process is dropped by a close). */
gboolean cert_wal_read (const char *db_path, CertWalHeader *out, GError **error);
/* The same, of a WAL file anywhere (a restored one). */
gboolean cert_wal_read_file (const char *wal_path, CertWalHeader *out, GError **error);

/* "sqlite-wal seq=1 salt1=45dec4c5 salt2=57c92c85 frames=3", or
 * "sqlite-wal empty" when @header is not valid. */
char    *cert_wal_stamp_format (const CertWalHeader *header);
gboolean cert_wal_stamp_parse (const char *stamp, CertWalHeader *out);

/* TRUE when a log backup of @db_path may follow the backup that wrote
 * @previous_stamp; else an error that says to take a full backup. */
gboolean cert_wal_check_chain (const char *db_path, const char *previous_stamp,
                               const CertWalHeader *now, GError **error);

/* Truncates the log after a successful backup stamped @stamp, while the
 * WAL is still the generation that backup saved: the frames written since
 * the snapshot are kept first in the carry file (cert_wal_carry_path),
 * under the write lock so none is missed, then the lock goes straight to
 * PRAGMA wal_checkpoint(RESTART): the next write starts the WAL over.
 * The truncation is recorded so the next generation continues the chain.
 * *out_note gets a message when it did not truncate (or could not prove
 * it safe). */
gboolean cert_wal_truncate (const char *db_path, const char *stamp, char **out_note,
                            GError **error);

/* The online API's truncation (vss_cs_backup_truncate_logs): with the
 * write lock held (no frame can be added) the WAL must still be exactly
 * what @saved_stamp says was saved; then every frame is checkpointed into
 * the database, so the next write starts a new generation and the next
 * log backup holds only later frames.  FALSE saying why when frames were
 * written since the log was saved, or readers kept the checkpoint from
 * completing: nothing is lost, the log stays. */
gboolean cert_wal_truncate_saved (const char *db_path, const char *saved_stamp, GError **error);

/* ".<db>.vss-carry-wal" beside the database: a copy of the WAL taken at a
 * truncation, holding frames written after that backup's snapshot.  A
 * log file of the store: the next log backup saves it, and restoring
 * that log set applies it before the set's own WAL. */
char    *cert_wal_carry_path (const char *db_path);

/* Forget a recorded truncation (a restore starts a new chain). */
void     cert_wal_forget_truncation (const char *db_path);

G_END_DECLS
