/* vss-hash-behind.c — hashing a file on a second thread as it is written,
 * and the digests of staged files (vss-hash-behind.h). */
#include "vss-hash-behind.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vss-sha256.h"

/* The read-back unit: large reads keep the syscall count low, small
 * enough to stay in the cache behind the writer. */
#define HASH_CHUNK (1024 * 1024)

struct _VssHashBehind {
  int fd;
  GThread *thread;
  GMutex lock;
  GCond published;
  off_t end;          /* bytes final so far (under @lock) */
  gboolean last;      /* @end is the size (under @lock) */
  gboolean stop;      /* cancelled (under @lock) */
  off_t hashed;       /* the thread's own */
  gboolean failed;    /* a read-back error or short file */
  char digest[65];
};

/* The next final offset beyond @self->hashed, or -1 when done. */
static off_t
wait_for_data (VssHashBehind *self)
{
  g_mutex_lock (&self->lock);
  while (!self->stop && !self->last && self->end <= self->hashed)
    g_cond_wait (&self->published, &self->lock);
  off_t end = self->stop || (self->last && self->end <= self->hashed) ? -1 : self->end;
  g_mutex_unlock (&self->lock);
  return end;
}

static gboolean
hash_range (VssHashBehind *self, VssSha256 *sha, guint8 *buf, off_t end)
{
  while (self->hashed < end) {
    gsize want = (gsize) MIN (end - self->hashed, (off_t) HASH_CHUNK);
    ssize_t n = pread (self->fd, buf, want, self->hashed);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;   /* an error, or the file is shorter than published */
    vss_sha256_update (sha, buf, (gsize) n);
    self->hashed += n;
  }
  return TRUE;
}

static gpointer
hash_thread (gpointer data)
{
  VssHashBehind *self = data;
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  g_autofree guint8 *buf = g_malloc (HASH_CHUNK);
  off_t end;
  while ((end = wait_for_data (self)) >= 0) {
    if (!hash_range (self, sha, buf, end)) {
      self->failed = TRUE;
      break;
    }
  }
  vss_sha256_finish (sha, self->digest);
  return NULL;
}

VssHashBehind *
vss_hash_behind_start (int fd)
{
  VssHashBehind *self = g_new0 (VssHashBehind, 1);
  self->fd = fd;
  g_mutex_init (&self->lock);
  g_cond_init (&self->published);
  self->thread = g_thread_new ("vss-hash", hash_thread, self);
  return self;
}

static void
publish (VssHashBehind *self, off_t end, gboolean last, gboolean stop)
{
  g_mutex_lock (&self->lock);
  self->end = MAX (self->end, end);
  self->last |= last;
  self->stop |= stop;
  g_cond_signal (&self->published);
  g_mutex_unlock (&self->lock);
}

void
vss_hash_behind_publish (VssHashBehind *self, off_t end)
{
  publish (self, end, FALSE, FALSE);
}

/* After the thread was joined. */
static void
destroy (VssHashBehind *self)
{
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->published);
  g_free (self);
}

gboolean
vss_hash_behind_finish (VssHashBehind *self, off_t size, char out[65])
{
  g_mutex_lock (&self->lock);
  self->end = size;   /* also below what was published: a file truncated since */
  self->last = TRUE;
  g_cond_signal (&self->published);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  gboolean ok = !self->failed && self->hashed == size;
  if (ok)
    memcpy (out, self->digest, 65);
  destroy (self);
  return ok;
}

void
vss_hash_behind_cancel (VssHashBehind *self)
{
  if (self == NULL)
    return;
  publish (self, 0, FALSE, TRUE);
  g_thread_join (self->thread);
  destroy (self);
}

/* ---- digests of staged files ---- */

typedef struct {
  off_t size;
  struct timespec mtime, ctime;
  char sha256[65];
} Digest;

static GMutex digests_lock;
static GHashTable *digests;   /* "dev:ino" -> Digest */

/* Digests nobody took (an image handed to --exec or restic, not a set)
 * would pile up in a long-lived process: past this many the table starts
 * again; a digest lost only means the file is read once more. */
#define DIGESTS_MAX 65536

static char *
inode_key (const struct stat *st)
{
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino);
}

static gboolean
same_time (struct timespec a, struct timespec b)
{
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void
vss_hash_digests_remember (int fd, const char sha256[65])
{
  struct stat st;
  if (fstat (fd, &st) != 0)
    return;
  Digest *d = g_new0 (Digest, 1);
  d->size = st.st_size;
  d->mtime = st.st_mtim;
  d->ctime = st.st_ctim;
  memcpy (d->sha256, sha256, 65);
  g_mutex_lock (&digests_lock);
  if (digests == NULL)
    digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_hash_table_size (digests) >= DIGESTS_MAX)
    g_hash_table_remove_all (digests);
  g_hash_table_replace (digests, inode_key (&st), d);
  g_mutex_unlock (&digests_lock);
}

gboolean
vss_hash_digests_take (int fd, char out[65])
{
  struct stat st;
  if (fstat (fd, &st) != 0)
    return FALSE;
  g_autofree char *key = inode_key (&st);
  g_mutex_lock (&digests_lock);
  Digest *d = digests != NULL ? g_hash_table_lookup (digests, key) : NULL;
  gboolean valid = d != NULL && d->size == st.st_size && same_time (d->mtime, st.st_mtim) &&
                   same_time (d->ctime, st.st_ctim);
  if (valid)
    memcpy (out, d->sha256, 65);
  if (d != NULL)
    g_hash_table_remove (digests, key);
  g_mutex_unlock (&digests_lock);
  return valid;
}
