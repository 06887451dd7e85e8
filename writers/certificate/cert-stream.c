/* cert-stream.c — a WAL-mode database image read straight from its files
 * (see the .h for why it is consistent).
 *
 * The files are read through SQLite's own handles of this connection
 * (SQLITE_FCNTL_FILE_POINTER / _JOURNAL_POINTER): opening and closing
 * another descriptor of them would drop this process's POSIX locks, the
 * read transaction's among them. */
#include "cert-stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cert-store.h"
#include "cert-wal.h"

#define SCAN_TRIES 5

struct _CertStream {
  char *path;
  sqlite3 *db;                 /* holds the read transaction */
  sqlite3_file *db_file;
  sqlite3_file *wal_file;
  guint32 page_size;
  guint64 n_pages;
  int spool;                   /* the WAL's frames' pages, copied at open (-1: none yet) */
  GArray *slot_of;             /* guint32 per page (pgno - 1): its spool slot + 1, 0 = file */
  guint8 wal_header[CERT_WAL_HEADER_SIZE];
  guint64 pos;
};

static guint32
le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

/* SQLite's WAL checksum: two running sums over 32-bit words, read in the
 * byte order the header's magic names. */
static void
wal_checksum (gboolean big_endian, const guint8 *data, gsize n, guint32 sum[2])
{
  for (gsize i = 0; i + 8 <= n; i += 8) {
    sum[0] += (big_endian ? cert_wal_be32 (data + i) : le32 (data + i)) + sum[1];
    sum[1] += (big_endian ? cert_wal_be32 (data + i + 4) : le32 (data + i + 4)) + sum[0];
  }
}

static gboolean
read_at (CertStream *self, sqlite3_file *file, void *buffer, gsize size, gint64 offset,
         GError **error)
{
  int rc = file->pMethods->xRead (file, buffer, (int) size, offset);
  if (rc == SQLITE_OK)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "%s: reading %s at %" G_GINT64_FORMAT ": %s", self->path,
               file == self->wal_file ? "the WAL" : "the database", offset,
               rc == SQLITE_IOERR_SHORT_READ ? "the file ended early (it changed under the "
                                               "backup: open it again)" : sqlite3_errstr (rc));
  return FALSE;
}

static gint64
file_size (sqlite3_file *file)
{
  sqlite3_int64 size = 0;
  return file != NULL && file->pMethods->xFileSize (file, &size) == SQLITE_OK ? size : 0;
}

/* A usable WAL header: magic, page size, its own checksum. */
static gboolean
header_is_valid (const guint8 *h)
{
  guint32 magic = cert_wal_be32 (h), page_size = cert_wal_be32 (h + 8);
  guint32 sum[2] = { 0, 0 };
  if ((magic & ~1u) != CERT_WAL_MAGIC_LE || page_size < 512 || page_size > 65536 ||
      (page_size & (page_size - 1)) != 0)
    return FALSE;
  wal_checksum (magic & 1, h, 24, sum);
  return sum[0] == cert_wal_be32 (h + 24) && sum[1] == cert_wal_be32 (h + 28);
}

static void
note_slot (CertStream *self, guint32 pgno, guint32 slot)
{
  if (self->slot_of->len < pgno)
    g_array_set_size (self->slot_of, pgno);
  g_array_index (self->slot_of, guint32, pgno - 1) = slot + 1;
}

/* The spool: an unlinked temporary file, made on the first frame. */
static gboolean
spool_page (CertStream *self, guint32 slot, const guint8 *page, GError **error)
{
  if (self->spool < 0) {
    g_autofree char *name = NULL;
    self->spool = g_file_open_tmp ("vss-cert-wal-XXXXXX", &name, error);
    if (self->spool < 0)
      return FALSE;
    unlink (name);
  }
  gsize done = 0;
  while (done < self->page_size) {
    gssize n = pwrite (self->spool, page + done, self->page_size - done,
                       (off_t) slot * self->page_size + (off_t) done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "%s: cannot copy its WAL to a temporary file in %s: %s", self->path,
                   g_get_tmp_dir (), g_strerror (errno));
      return FALSE;
    }
    done += (gsize) n;
  }
  return TRUE;
}

/* Copies the WAL's frames into the spool as SQLite's recovery reads them
 * (salts, page number, running checksum) and keeps, for each page, its
 * newest frame up to the last commit.  Returns the number of frames up
 * to that commit; -1 with @error. */
static gint64
spool_wal (CertStream *self, GError **error)
{
  gint64 size = file_size (self->wal_file);
  g_array_set_size (self->slot_of, 0);
  memset (self->wal_header, 0, sizeof self->wal_header);
  if (size < CERT_WAL_HEADER_SIZE)
    return 0;
  if (!read_at (self, self->wal_file, self->wal_header, CERT_WAL_HEADER_SIZE, 0, error))
    return -1;
  if (!header_is_valid (self->wal_header))
    return 0;
  gboolean big_endian = cert_wal_be32 (self->wal_header) & 1;
  self->page_size = cert_wal_be32 (self->wal_header + 8);
  gsize frame_size = CERT_WAL_FRAME_HEADER_SIZE + self->page_size;
  g_autofree guint8 *frame = g_malloc (frame_size);
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (guint32));   /* pgno per frame */
  guint32 sum[2] = { cert_wal_be32 (self->wal_header + 24), cert_wal_be32 (self->wal_header + 28) };
  guint32 frames = 0, committed = 0;
  for (gint64 off = CERT_WAL_HEADER_SIZE; off + (gint64) frame_size <= size; off += frame_size) {
    if (!read_at (self, self->wal_file, frame, frame_size, off, NULL) ||
        memcmp (frame + 8, self->wal_header + 16, 8) != 0 || cert_wal_be32 (frame) == 0)
      break;
    wal_checksum (big_endian, frame, 8, sum);
    wal_checksum (big_endian, frame + CERT_WAL_FRAME_HEADER_SIZE, self->page_size, sum);
    if (sum[0] != cert_wal_be32 (frame + 16) || sum[1] != cert_wal_be32 (frame + 20))
      break;
    if (!spool_page (self, frames, frame + CERT_WAL_FRAME_HEADER_SIZE, error))
      return -1;
    guint32 pgno = cert_wal_be32 (frame);
    g_array_append_val (pending, pgno);
    frames++;
    if (cert_wal_be32 (frame + 4) == 0)
      continue;
    for (guint i = 0; i < pending->len; i++)   /* a commit: its frames count */
      note_slot (self, g_array_index (pending, guint32, i), committed + i);
    g_array_set_size (pending, 0);
    self->n_pages = cert_wal_be32 (frame + 4);
    committed = frames;
  }
  return committed;
}

/* The image's page size and count when no WAL frame counts: the file's. */
static gboolean
size_from_file (CertStream *self, GError **error)
{
  guint8 db_header[100];
  gint64 size = file_size (self->db_file);
  if (size >= 100 && !read_at (self, self->db_file, db_header, sizeof db_header, 0, error))
    return FALSE;
  guint32 page_size = size >= 100 ? ((guint32) db_header[16] << 8) | db_header[17] : 4096;
  self->page_size = page_size == 1 ? 65536 : page_size;
  self->n_pages = size / self->page_size;
  return TRUE;
}

/* Pins the image: the WAL's committed frames copied aside, the rest read
 * from the file.  The copy is whole when the WAL's header is the same
 * after it: SQLite rewrites the header before it overwrites any frame. */
static gboolean
map_pages (CertStream *self, GError **error)
{
  for (int attempt = 0; attempt < SCAN_TRIES; attempt++) {
    guint8 header[CERT_WAL_HEADER_SIZE] = { 0 };
    self->n_pages = 0;
    gint64 committed = spool_wal (self, error);
    if (committed < 0)
      return FALSE;
    if (committed == 0)
      return size_from_file (self, error);
    if (file_size (self->wal_file) >= CERT_WAL_HEADER_SIZE &&
        !read_at (self, self->wal_file, header, CERT_WAL_HEADER_SIZE, 0, error))
      return FALSE;
    if (memcmp (header, self->wal_header, CERT_WAL_HEADER_SIZE) == 0)
      return TRUE;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
               "%s: the WAL restarted %d times while it was read; try again", self->path,
               SCAN_TRIES);
  return FALSE;
}

static gboolean
begin (CertStream *self, GError **error)
{
  g_autofree char *mode = NULL;
  if (!cert_db_exec (self->db, self->path, "BEGIN; SELECT count(*) FROM sqlite_master", error) ||
      (mode = cert_db_journal_mode (self->db, self->path, error)) == NULL)
    return FALSE;
  if (!g_str_equal (mode, "wal")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s: journal_mode=%s: only a WAL-mode database can be streamed in place",
                 self->path, mode);
    return FALSE;
  }
  if (sqlite3_file_control (self->db, "main", SQLITE_FCNTL_FILE_POINTER, &self->db_file) != SQLITE_OK ||
      sqlite3_file_control (self->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &self->wal_file) != SQLITE_OK ||
      self->db_file == NULL || self->db_file->pMethods == NULL || self->wal_file == NULL ||
      self->wal_file->pMethods == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s: SQLite does not expose its files here", self->path);
    return FALSE;
  }
  return map_pages (self, error);
}

CertStream *
cert_stream_open (const char *db_path, guint64 *out_size, char **out_stamp, GError **error)
{
  CertStream *self = g_new0 (CertStream, 1);
  self->path = g_strdup (db_path);
  self->spool = -1;
  self->slot_of = g_array_new (FALSE, TRUE, sizeof (guint32));
  CertWalHeader wal;
  self->db = cert_db_open (db_path, 2000, error);
  if (self->db == NULL || !begin (self, error) || !cert_wal_read (db_path, &wal, error)) {
    cert_stream_close (self);
    return NULL;
  }
  *out_size = self->n_pages * self->page_size;
  *out_stamp = wal.valid ? cert_wal_stamp_format (&wal) : NULL;
  return self;
}

static guint32
slot_of (CertStream *self, guint64 page)
{
  return page < self->slot_of->len ? g_array_index (self->slot_of, guint32, page) : 0;
}

static gboolean
read_spool (CertStream *self, void *buffer, gsize size, guint32 slot, guint64 in_page,
            GError **error)
{
  off_t at = (off_t) (slot - 1) * self->page_size + (off_t) in_page;
  gssize n;
  do
    n = pread (self->spool, buffer, size, at);
  while (n < 0 && errno == EINTR);
  if (n == (gssize) size)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: reading its WAL's copy in %s: %s",
               self->path, g_get_tmp_dir (), n < 0 ? g_strerror (errno) : "it ended early");
  return FALSE;
}

gssize
cert_stream_read (CertStream *self, void *buffer, gsize size, GError **error)
{
  guint64 total = self->n_pages * self->page_size;
  guint64 end = MIN (total, self->pos + MIN (size, (gsize) 1 << 30));
  guint8 *out = buffer;
  while (self->pos < end) {
    guint64 page = self->pos / self->page_size, in_page = self->pos % self->page_size;
    guint32 slot = slot_of (self, page);
    guint64 stop = MIN (end, (page + 1) * self->page_size);
    while (slot == 0 && stop < end && slot_of (self, stop / self->page_size) == 0)
      stop = MIN (end, stop + self->page_size);   /* a run of pages all in the file */
    gboolean ok = slot != 0
      ? read_spool (self, out, stop - self->pos, slot, in_page, error)
      : read_at (self, self->db_file, out, stop - self->pos, self->pos, error);
    if (!ok)
      return -1;
    out += stop - self->pos;
    self->pos = stop;
  }
  return out - (guint8 *) buffer;
}

void
cert_stream_close (CertStream *self)
{
  if (self == NULL)
    return;
  if (self->db != NULL)
    sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (self->db);
  if (self->spool >= 0)
    close (self->spool);
  g_array_unref (self->slot_of);
  g_free (self->path);
  g_free (self);
}
