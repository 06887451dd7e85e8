/* vss-hash-behind.c — hashing a file on other threads as it is written,
 * and the digests of staged files (vss-hash-behind.h). */
#include "vss-hash-behind.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vss-copy-pace.h"
#include "vss-digest.h"

/* The read-back unit: large reads keep the syscall count low, small
 * enough to stay in the cache behind the writer. */
#define HASH_CHUNK (1024 * 1024)
/* More threads than this only wait on memory bandwidth. */
#define MAX_HASHERS 4

struct _VssHashBehind {
  int fd;
  GThread *threads[MAX_HASHERS];
  guint n_threads;
  GMutex lock;
  GCond published;
  off_t end;          /* bytes final so far */
  gboolean last;      /* @end is the size */
  gboolean stop;      /* cancelled, or a read-back failed */
  guint64 next;       /* the next piece to claim */
  guint64 completed;  /* pieces hashed */
  guint64 reported;   /* of them, told vss_hash_behind_wait's caller */
  GByteArray *sums;   /* the pieces' SHA-256s, by index (zeros until hashed) */
  GArray *holes;      /* off_t pairs [start, end): ranges the writer left as holes */
  gboolean failed;    /* a read-back error or a short file */
};

/* Claims the next piece once it is final; FALSE when none is left.  The
 * last piece may be short, and so is claimed only once the size is known. */
static gboolean
claim_piece (VssHashBehind *self, guint64 *index, off_t *start, off_t *length)
{
  g_mutex_lock (&self->lock);
  off_t from;
  for (;;) {
    from = (off_t) (self->next * VSS_DIGEST_PIECE);
    gboolean whole = from + VSS_DIGEST_PIECE <= self->end;
    gboolean tail = self->last && (from < self->end || (from == 0 && self->end == 0));
    if (self->stop || (self->last && !whole && !tail))
      break;
    if (whole || tail) {
      *index = self->next++;
      *start = from;
      *length = MIN ((off_t) VSS_DIGEST_PIECE, self->end - from);
      if (self->sums->len < self->next * VSS_SHA256_LEN)
        g_byte_array_set_size (self->sums, (guint) (self->next * VSS_SHA256_LEN));
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
    g_cond_wait (&self->published, &self->lock);
  }
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/* Is the whole piece inside a hole its writer published?  Then its
 * digest is known.  (Not lseek (SEEK_DATA): it would move the file
 * position of a descriptor its writer may be write()ing through.) */
static gboolean
in_hole (VssHashBehind *self, off_t start, off_t length)
{
  gboolean hole = FALSE;
  g_mutex_lock (&self->lock);
  for (guint i = 0; length == VSS_DIGEST_PIECE && !hole && i < self->holes->len; i += 2)
    hole = g_array_index (self->holes, off_t, i) <= start &&
           start + length <= g_array_index (self->holes, off_t, i + 1);
  g_mutex_unlock (&self->lock);
  return hole;
}

static gboolean
hash_piece (VssHashBehind *self, VssSha256 *sha, guint8 *buf, off_t start, off_t length,
            guint8 sum[VSS_SHA256_LEN])
{
  int fd = self->fd;
  if (in_hole (self, start, length)) {
    memcpy (sum, vss_digest_zero_piece (), VSS_SHA256_LEN);
    return TRUE;
  }
  for (off_t done = 0; done < length;) {
    ssize_t n = pread (fd, buf, (size_t) MIN (length - done, (off_t) HASH_CHUNK), start + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;   /* an error, or the file is shorter than published */
    vss_sha256_update (sha, buf, (gsize) n);
    done += n;
  }
  vss_sha256_finish_raw (sha, sum);
  return TRUE;
}

static gpointer
hash_thread (gpointer data)
{
  VssHashBehind *self = data;
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  g_autofree guint8 *buf = g_malloc (HASH_CHUNK);
  guint64 index;
  off_t start, length;
  while (claim_piece (self, &index, &start, &length)) {
    guint8 sum[VSS_SHA256_LEN];
    gboolean ok = hash_piece (self, sha, buf, start, length, sum);
    g_mutex_lock (&self->lock);
    if (ok) {
      memcpy (self->sums->data + index * VSS_SHA256_LEN, sum, VSS_SHA256_LEN);
      self->completed++;
    } else
      self->failed = self->stop = TRUE;
    g_cond_broadcast (&self->published);
    g_mutex_unlock (&self->lock);
  }
  return NULL;
}

VssHashBehind *
vss_hash_behind_start (int fd)
{
  VssHashBehind *self = g_new0 (VssHashBehind, 1);
  self->fd = fd;
  self->sums = g_byte_array_new ();
  self->holes = g_array_new (FALSE, FALSE, sizeof (off_t));
  g_mutex_init (&self->lock);
  g_cond_init (&self->published);
  /* a paced copy leaves its own thread a core: its hashers must not be
   * what keeps it waiting (vss-copy-pace.h) */
  guint cores = g_get_num_processors ();
  self->n_threads = CLAMP (vss_copy_pace_is_on () && cores > 1 ? cores - 1 : cores, 1, MAX_HASHERS);
  for (guint i = 0; i < self->n_threads; i++)
    self->threads[i] = g_thread_new ("vss-hash", hash_thread, self);
  return self;
}

static void
publish (VssHashBehind *self, off_t end, gboolean last, gboolean stop)
{
  g_mutex_lock (&self->lock);
  self->end = last ? end : MAX (self->end, end);
  self->last |= last;
  self->stop |= stop;
  g_cond_broadcast (&self->published);
  g_mutex_unlock (&self->lock);
}

void
vss_hash_behind_publish (VssHashBehind *self, off_t end)
{
  publish (self, end, FALSE, FALSE);
}

void
vss_hash_behind_publish_hole (VssHashBehind *self, off_t start, off_t end)
{
  if (end - start < VSS_DIGEST_PIECE)
    return;   /* holds no whole piece */
  g_mutex_lock (&self->lock);
  g_array_append_val (self->holes, start);
  g_array_append_val (self->holes, end);
  g_mutex_unlock (&self->lock);
}

gboolean
vss_hash_behind_wait (VssHashBehind *self, off_t *out_done)
{
  g_mutex_lock (&self->lock);
  guint64 published = (guint64) self->end / VSS_DIGEST_PIECE;
  while (!self->stop && self->completed == self->reported && self->reported < published)
    g_cond_wait (&self->published, &self->lock);
  /* one piece a call, so a caller sees every piece go by */
  gboolean progressed = self->completed > self->reported;
  if (progressed)
    self->reported++;
  *out_done = MIN ((off_t) (self->reported * VSS_DIGEST_PIECE), self->end);
  g_mutex_unlock (&self->lock);
  return progressed;
}

/* Joins the threads and frees @self. */
static void
destroy (VssHashBehind *self)
{
  for (guint i = 0; i < self->n_threads; i++)
    g_thread_join (self->threads[i]);
  g_byte_array_unref (self->sums);
  g_array_unref (self->holes);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->published);
  g_free (self);
}

gboolean
vss_hash_behind_finish (VssHashBehind *self, off_t size, char out[65])
{
  /* Whole pieces claimed past @size (a file truncated since it was
   * published) hashed bytes the file no longer has. */
  g_mutex_lock (&self->lock);
  gboolean truncated = self->next * VSS_DIGEST_PIECE > (guint64) size;
  g_mutex_unlock (&self->lock);
  publish (self, size, TRUE, truncated);
  for (guint i = 0; i < self->n_threads; i++)
    g_thread_join (self->threads[i]);
  self->n_threads = 0;
  guint64 pieces = size == 0 ? 1 : ((guint64) size + VSS_DIGEST_PIECE - 1) / VSS_DIGEST_PIECE;
  gboolean ok = !self->failed && !truncated && self->next == pieces;
  if (ok)
    vss_digest_from_pieces (self->sums->data, pieces, out);
  destroy (self);
  return ok;
}

void
vss_hash_behind_cancel (VssHashBehind *self)
{
  if (self == NULL)
    return;
  publish (self, 0, FALSE, TRUE);
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
