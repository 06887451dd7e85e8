/* cert-image.c — the certificate writer's images (vss_writer_serve_image).
 *
 * Freeze holds every chosen database's write lock; with it held, a WAL
 * store is pinned by a read transaction (cert-stream.h: the file with its
 * WAL frames laid over, streamed after the thaw), and a rollback-journal
 * database — NSS's cert9.db and key4.db, small — is copied into memory
 * through SQLite's backup API (never through a descriptor of our own,
 * whose close would drop this process's POSIX locks), as is pkcs11.txt.
 * No filesystem snapshot is taken of the stores. */
#include "cert-image.h"

#include <errno.h>
#include <unistd.h>

#include "cert-stream.h"

typedef struct {
  char *path;                   /* the file the image stands for */
  CertStream *stream;           /* WAL: the pinned database */
  GBytes *bytes;                /* else: its contents, copied under the lock */
  guint64 size;
} CertPin;

static void
cert_pin_free (CertPin *pin)
{
  if (pin->stream != NULL)
    cert_stream_close (pin->stream);
  g_clear_pointer (&pin->bytes, g_bytes_unref);
  g_free (pin->path);
  g_free (pin);
}

void
cert_image_release_all (CertWriter *self)
{
  g_clear_pointer (&self->pins, g_hash_table_unref);
}

/* The database as SQLite reads it now, serialized from an in-memory copy. */
static GBytes *
copy_database (const char *path, GError **error)
{
  sqlite3 *src = cert_db_open (path, 2000, error), *mem = NULL;
  if (src == NULL)
    return NULL;
  GBytes *bytes = NULL;
  sqlite3_int64 size = 0;
  unsigned char *data = NULL;
  if (sqlite3_open (":memory:", &mem) == SQLITE_OK) {
    sqlite3_backup *backup = sqlite3_backup_init (mem, "main", src, "main");
    int rc = backup != NULL ? sqlite3_backup_step (backup, -1) : sqlite3_errcode (mem);
    sqlite3_backup_finish (backup);
    data = rc == SQLITE_DONE ? sqlite3_serialize (mem, "main", &size, 0) : NULL;
    if (data == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot copy it: %s", path,
                   rc == SQLITE_DONE ? "out of memory" : sqlite3_errstr (rc));
  }
  if (data != NULL)
    bytes = g_bytes_new_with_free_func (data, (gsize) size, sqlite3_free, data);
  sqlite3_close (mem);
  sqlite3_close (src);
  return bytes;
}

static CertPin *
pin_database (CertWriter *self, const char *path, GError **error)
{
  CertPin *pin = g_new0 (CertPin, 1);
  pin->path = g_strdup (path);
  g_autofree char *stamp = NULL;
  if (cert_writer_is_wal (self, path))
    pin->stream = cert_stream_open (path, &pin->size, &stamp, error);
  else if ((pin->bytes = copy_database (path, error)) != NULL)
    pin->size = g_bytes_get_size (pin->bytes);
  if (pin->stream != NULL || pin->bytes != NULL)
    return pin;
  cert_pin_free (pin);
  return NULL;
}

/* NSS's module list: a text file, read whole (absent is fine). */
static CertPin *
pin_text_file (const char *path)
{
  char *contents = NULL;
  gsize length = 0;
  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  CertPin *pin = g_new0 (CertPin, 1);
  pin->path = g_strdup (path);
  pin->bytes = g_bytes_new_take (contents, length);
  pin->size = length;
  return pin;
}

static gboolean
pin_store (CertWriter *self, const CertStore *store, GError **error)
{
  for (guint d = 0; d < store->databases->len; d++) {
    const char *path = g_ptr_array_index (store->databases, d);
    CertPin *pin = pin_database (self, path, error);
    if (pin == NULL)
      return FALSE;
    g_hash_table_insert (self->pins, pin->path, pin);
  }
  g_autofree char *modules = store->kind == CERT_STORE_NSS
                                 ? g_build_filename (store->path, "pkcs11.txt", NULL) : NULL;
  CertPin *pin = modules != NULL ? pin_text_file (modules) : NULL;
  if (pin != NULL)
    g_hash_table_insert (self->pins, pin->path, pin);
  return TRUE;
}

gboolean
cert_image_pin_all (VssWriter *writer, CertWriter *self)
{
  cert_image_release_all (self);
  if (!vss_writer_get_writer_images (writer))
    return TRUE;
  self->pins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) cert_pin_free);
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    CertStore *store = cert_writer_component_store (writer, i);
    g_autoptr(GError) error = NULL;
    if (store != NULL && !pin_store (self, store, &error)) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize length, const char *path, GError **error)
{
  while (length > 0) {
    ssize_t n = write (fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "writing the image of %s: %s", path,
                   n < 0 ? g_strerror (errno) : "write() took nothing");
      return FALSE;
    }
    data += n;
    length -= (gsize) n;
  }
  return TRUE;
}

#define CERT_IMAGE_PIECE (1024 * 1024)

static gboolean
write_image (int fd, gpointer data, GError **error)
{
  CertPin *pin = data;
  if (pin->bytes != NULL)
    return write_all (fd, g_bytes_get_data (pin->bytes, NULL), g_bytes_get_size (pin->bytes),
                      pin->path, error);
  g_autofree guint8 *buf = g_malloc (CERT_IMAGE_PIECE);
  gssize n;
  while ((n = cert_stream_read (pin->stream, buf, CERT_IMAGE_PIECE, error)) > 0)
    if (!write_all (fd, buf, (gsize) n, pin->path, error))
      return FALSE;
  return n == 0;
}

/* The files of @store that freeze may have pinned. */
static GPtrArray *
store_files (const CertStore *store)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  for (guint d = 0; d < store->databases->len; d++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (store->databases, d)));
  if (store->kind == CERT_STORE_NSS)
    g_ptr_array_add (files, g_build_filename (store->path, "pkcs11.txt", NULL));
  return files;
}

/* Serves every pinned file of @store; the pins go to their images. */
static gboolean
serve_store (VssWriter *writer, CertWriter *self, VssComponent *component,
             const CertStore *store, GError **error)
{
  g_autoptr(GPtrArray) files = store_files (store);
  for (guint i = 0; i < files->len; i++) {
    CertPin *pin = g_hash_table_lookup (self->pins, g_ptr_array_index (files, i));
    if (pin == NULL)
      continue;
    g_hash_table_steal (self->pins, pin->path);
    /* from here the image owns the pin, also when this fails */
    if (!vss_writer_serve_image (writer, component, pin->path, pin->size, write_image, pin,
                                 (GDestroyNotify) cert_pin_free, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
cert_image_serve_all (VssWriter *writer)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  for (guint i = 0; self->pins != NULL && i < vss_writer_get_component_count (writer); i++) {
    g_autoptr(GError) error = NULL;
    CertStore *store = cert_writer_component_store (writer, i);
    if (store != NULL &&
        !serve_store (writer, self, vss_writer_get_component (writer, i), store, &error)) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  cert_image_release_all (self);
  return TRUE;
}
