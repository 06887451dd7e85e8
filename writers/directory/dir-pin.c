/* dir-pin.c — an LMDB environment pinned at one instant (dir-pin.h). */
#include "dir-pin.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vss/vss-error.h>

void
dir_pinned_free (DirPinned *pinned)
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

DirPinned *
dir_pin_env (DirEnv *env, gboolean frozen, GError **error)
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
  if (!frozen && (rc = mdb_txn_begin (env->env, NULL, 0, &lock)) != 0) {
    dir_env_set_error (error, rc, "cannot take the writer lock of %s", env->path);
    goto fail;
  }
  rc = pin_locked (pinned, error);
  if (lock != NULL)
    mdb_txn_abort (lock);
  if (rc == 0 && map_pinned (pinned, error))
    return pinned;
fail:
  dir_pinned_free (pinned);
  return NULL;
}

const guint8 *
dir_pinned_next (DirPinned *pinned, guint64 offset, gsize *inout_size)
{
  *inout_size = MIN (*inout_size, pinned->size - offset);
  if (offset < pinned->metas_size) {
    *inout_size = MIN (*inout_size, pinned->metas_size - offset);
    return pinned->metas + offset;
  }
  return pinned->map + offset;
}
