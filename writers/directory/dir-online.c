/* dir-online.c — the directory writer's side of the vss_ds_* online
 * backup API: consistent streams of live environments.
 *
 * A session pins every environment at one instant: with the writer lock
 * held for a few microseconds (no commit can happen) it begins a read
 * transaction and copies the two meta pages; then it lets go.  The read
 * transaction keeps every page reachable from that state from being
 * reused, so the pages past the metas can be read straight from data.mdb
 * while the server goes on writing — what mdb_env_copyfd() does, without
 * its extra copy through the map and a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dir-writer.h"

typedef struct {
  DirEnv *env;
  MDB_txn *pin;                 /* read transaction: the backup instant */
  int fd;                       /* data.mdb */
  guint8 *map;                  /* data.mdb mapped up to size */
  guint8 *metas;                /* the two meta pages as of the pin, page-aligned */
  gsize metas_size;
  guint64 size;                 /* bytes up to the pin's last page */
} DirPinned;

typedef struct {
  GPtrArray *pinned;            /* DirPinned* */
  GPtrArray *names;             /* data.mdb paths */
} DirSession;

typedef struct {
  DirPinned *pinned;
  guint64 offset;
} DirStream;

static void
pinned_free (DirPinned *pinned)
{
  if (pinned->pin != NULL)
    mdb_txn_abort (pinned->pin);  /* NOTLS: any thread may end it */
  if (pinned->map != NULL)
    munmap (pinned->map, pinned->size);
  if (pinned->fd >= 0)
    close (pinned->fd);
  g_aligned_free (pinned->metas);
  g_free (pinned);
}

static gboolean
read_all (int fd, guint8 *buf, gsize size, goffset offset, GError **error)
{
  gsize done = 0;
  while (done < size) {
    ssize_t n = pread (fd, buf + done, size - done, offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot read data.mdb: %s",
                   n < 0 ? g_strerror (errno) : "file shorter than its meta pages");
      return FALSE;
    }
    done += n;
  }
  return TRUE;
}

/* Called with the writer lock held: nothing can commit. */
static int
pin_locked (DirPinned *pinned, GError **error)
{
  MDB_envinfo info;
  MDB_stat stat;
  int rc = mdb_txn_begin (pinned->env->env, NULL, MDB_RDONLY, &pinned->pin);
  if (rc == 0)
    rc = mdb_env_info (pinned->env->env, &info);
  if (rc == 0)
    rc = mdb_env_stat (pinned->env->env, &stat);
  if (rc != 0) {
    dir_env_set_error (error, rc, "cannot pin %s", pinned->env->path);
    return rc;
  }
  pinned->size = ((guint64) info.me_last_pgno + 1) * stat.ms_psize;
  pinned->metas_size = 2 * stat.ms_psize;
  /* aligned like the map, so an O_DIRECT fd takes them as they are */
  pinned->metas = g_aligned_alloc (1, pinned->metas_size, stat.ms_psize);
  return read_all (pinned->fd, pinned->metas, pinned->metas_size, 0, error) ? 0 : EIO;
}

/* A map of the page cache: a read copies once from it, like mdb_copy's
 * write() from LMDB's own map, and a write to an fd copies from it
 * exactly as mdb_copy does.  LMDB maps the whole environment in this
 * process already, so address space is not what fails here. */
static gboolean
map_pinned (DirPinned *pinned, GError **error)
{
  void *map = mmap (NULL, pinned->size, PROT_READ, MAP_SHARED, pinned->fd, 0);
  if (map == MAP_FAILED) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot map %s/data.mdb: %s",
                 pinned->env->path, g_strerror (errno));
    return FALSE;
  }
  pinned->map = map;
  madvise (map, pinned->size, MADV_SEQUENTIAL);
  return TRUE;
}

static DirPinned *
pin_env (DirEnv *env, GError **error)
{
  DirPinned *pinned = g_new0 (DirPinned, 1);
  pinned->env = env;
  pinned->fd = -1;
  g_autofree char *data = g_build_filename (env->path, "data.mdb", NULL);
  MDB_txn *lock = NULL;
  int rc;
  if (!dir_env_open (env, error))
    goto fail;
  pinned->fd = open (data, O_RDONLY | O_CLOEXEC);
  if (pinned->fd < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s: %s", data, g_strerror (errno));
    goto fail;
  }
  /* Begun and aborted on this thread, within this call. */
  if ((rc = mdb_txn_begin (env->env, NULL, 0, &lock)) != 0) {
    dir_env_set_error (error, rc, "cannot take the writer lock of %s", env->path);
    goto fail;
  }
  rc = pin_locked (pinned, error);
  mdb_txn_abort (lock);
  if (rc == 0 && map_pinned (pinned, error))
    return pinned;
fail:
  pinned_free (pinned);
  return NULL;
}

static void
session_free (gpointer data)
{
  DirSession *session = data;
  g_ptr_array_unref (session->pinned);
  g_ptr_array_unref (session->names);
  g_free (session);
}

static gpointer
online_backup_begin (VssWriter *writer, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  DirSession *session = g_new0 (DirSession, 1);
  session->pinned = g_ptr_array_new_with_free_func ((GDestroyNotify) pinned_free);
  session->names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    DirPinned *pinned = pin_env (env, error);
    if (pinned == NULL) {
      session_free (session);
      return NULL;
    }
    g_ptr_array_add (session->pinned, pinned);
    g_ptr_array_add (session->names, g_build_filename (env->path, "data.mdb", NULL));
  }
  return session;
}

static GPtrArray *
online_backup_database_names (gpointer data)
{
  return ((DirSession *) data)->names;
}

static gpointer
online_backup_open (gpointer data, guint index, guint64 *out_size, GError **error)
{
  DirSession *session = data;
  if (index >= session->pinned->len) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "no database %u in this backup", index);
    return NULL;
  }
  DirStream *stream = g_new0 (DirStream, 1);
  stream->pinned = g_ptr_array_index (session->pinned, index);
  *out_size = stream->pinned->size;
  return stream;
}

/* Where the stream's next bytes are: at most *inout_size of them, from
 * the pinned metas or else the map (never both in one piece). */
static const guint8 *
stream_next (DirStream *stream, gsize *inout_size)
{
  DirPinned *pinned = stream->pinned;
  *inout_size = MIN (*inout_size, pinned->size - stream->offset);
  if (stream->offset < pinned->metas_size) {
    *inout_size = MIN (*inout_size, pinned->metas_size - stream->offset);
    return pinned->metas + stream->offset;
  }
  return pinned->map + stream->offset;
}

static gssize
online_stream_read (gpointer data, void *buffer, gsize size, GError **error)
{
  DirStream *stream = data;
  const guint8 *from = stream_next (stream, &size);
  memcpy (buffer, from, size);
  stream->offset += size;
  return size;
}

/* mdb_copy hands at most 1 GiB to one write() too. */
#define DIR_WRITE_PIECE ((gsize) 1 << 30)

static gssize
online_stream_write_to_fd (gpointer data, int fd, gsize max, GError **error)
{
  DirStream *stream = data;
  gsize size = MIN (max, DIR_WRITE_PIECE);
  const guint8 *from = stream_next (stream, &size);
  if (size == 0)
    return 0;
  ssize_t n;
  do
    n = write (fd, from, size);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "writing the copy of %s/data.mdb: %s",
                 stream->pinned->env->path, n < 0 ? g_strerror (errno) : "write() took nothing");
    return -1;
  }
  stream->offset += n;
  return n;
}

static void
online_stream_close (gpointer data)
{
  g_free (data);
}

static gboolean
online_is_online (VssWriter *writer, gboolean *out_online, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  *out_online = FALSE;
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    if (dir_env_other_user (env->path, NULL) > 0)
      *out_online = TRUE;
  }
  return TRUE;
}

static gboolean
online_get_identity (VssWriter *writer, char **out_identity, guint64 *out_tombstone_seconds,
                     GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GString) ids = g_string_new (NULL);
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    g_autofree char *id = dir_env_identity (env->path, error);
    if (id == NULL)
      return FALSE;
    g_string_append_printf (ids, "%s%s", i > 0 ? "," : "", id);
  }
  *out_identity = g_string_free (g_steal_pointer (&ids), FALSE);
  *out_tombstone_seconds = (guint64) (self->config->tombstone_days * 86400.0);
  return TRUE;
}

static char *
online_read_identity (VssWriter *writer, const char *dir)
{
  return dir_env_read_identity (dir);
}

static GPtrArray *
online_restore_locations (VssWriter *writer, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->envs->len; i++)
    g_ptr_array_add (out, g_strdup (((DirEnv *) g_ptr_array_index (self->envs, i))->path));
  return out;
}

static gboolean
online_restore_check_offline (VssWriter *writer, const char *dir, GError **error)
{
  return dir_env_check_offline (dir, error);
}

static gboolean
online_restore_verify (VssWriter *writer, const char *dir, GError **error)
{
  DirEnv *env = dir_writer_find_env (dir_writer_get (writer), dir);
  if (env != NULL)
    dir_env_close (env);        /* this instance's reference: verify takes its own */
  return dir_env_verify (dir, NULL, error);
}

const VssDsBackupInterface dir_online_interface = {
  .is_online = online_is_online,
  .get_identity = online_get_identity,
  .read_identity = online_read_identity,
  .backup_begin = online_backup_begin,
  .backup_database_names = online_backup_database_names,
  .backup_open = online_backup_open,
  .stream_read = online_stream_read,
  .stream_close = online_stream_close,
  .backup_end = session_free,
  .restore_locations = online_restore_locations,
  .restore_check_offline = online_restore_check_offline,
  .restore_verify = online_restore_verify,
  .stream_write_to_fd = online_stream_write_to_fd,
};
