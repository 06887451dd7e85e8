/* vss-piece-writer.c — a file written a digest piece at a time from
 * private buffers, hashed and written with O_DIRECT on workers
 * (vss-piece-writer.h).
 *
 * Why not the page cache (copy_file_range, then hash threads reading the
 * copy back, then a flush): every byte was copied into the cache, copied
 * out again for the hash, and written from there, three passes over
 * memory and a dirty cache to flush at the end; here each byte is copied
 * once, into the buffer, hashed there and written by the disk's DMA. */
#include "vss-piece-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vss-digest.h"
#include "vss-fs.h"

/* Buffers: one being filled, the others being hashed and written (both
 * at once, from the same buffer): 32 MiB, which at load 4 measured no
 * slower than 64 or 192 MiB with longer batches. */
#define RING 8
/* Pieces written by one call at most: the disk is fastest given several
 * MiB at once (a filesystem may serialize O_DIRECT writes that allocate,
 * so several threads writing 4 MiB each is not the same). */
#define MAX_BATCH 4
/* Hashing threads at most: each runs at ~1.5 GB/s; four outrun the disk. */
#define MAX_HASHERS 4
/* O_DIRECT wants buffer, offset and length aligned to the logical block
 * size; a page covers every common one (pieces are multiples of it). */
#define DIRECT_ALIGN 4096
/* Buffers are aligned to a huge page and asked to be backed by them: the
 * kernel pins a buffer's pages for every O_DIRECT write, and 2 MiB pages
 * make that ~1.5x faster than 4 KiB ones (measured on ext4, virtio). */
#define HUGE_PAGE (2 * 1024 * 1024)

typedef struct {
  guint8 *data;
  guint64 index;
  gsize length;
  gint holders;              /* of a full piece: its hasher and its writer (atomic) */
} Piece;

/* Tells the writing thread that no piece comes any more. */
static Piece no_more;

struct _VssPieceWriter {
  int fd;
  int direct_fd;             /* the file again, with O_DIRECT; -1 when refused */
  gboolean direct;           /* full pieces go through @direct_fd (the writing thread's) */
  off_t flushed;             /* write-behind through the page cache (the writing thread's) */
  guint64 size;
  guint64 committed;         /* bytes put into pieces so far */
  Piece *current;            /* being filled; NULL between pieces */
  Piece *made[RING];         /* every buffer, to give back */
  guint n_made;
  GAsyncQueue *free_pieces;  /* buffers hashed and written (or dropped), to fill again */
  GThreadPool *hashers;      /* made with the first full piece, as is @writing */
  GAsyncQueue *to_write;     /* full pieces in order, then no_more */
  GThread *writing;
  guint8 *sums;              /* the pieces' SHA-256s, by index; each written by one hasher */
  gint write_errno;          /* the first failed write, or ECANCELED (atomic) */
};

static gboolean test_refuse_direct;
static VssPieceWriterHook test_hook;

void
vss_piece_writer_set_test_refuse_direct (gboolean refuse)
{
  test_refuse_direct = refuse;
}

void
vss_piece_writer_set_test_hook (VssPieceWriterHook hook)
{
  test_hook = hook;
}

static guint64
n_pieces (guint64 size)
{
  return size == 0 ? 1 : (size + VSS_DIGEST_PIECE - 1) / VSS_DIGEST_PIECE;
}

/* A second descriptor of the same file, so that the page-cache writes
 * (the last piece, a refused O_DIRECT) keep theirs. */
static int
open_direct (int fd)
{
  if (test_refuse_direct)
    return -1;
  g_autofree char *self_path = g_strdup_printf ("/proc/self/fd/%d", fd);
  return open (self_path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

VssPieceWriter *
vss_piece_writer_new (int fd, guint64 size)
{
  VssPieceWriter *self = g_new0 (VssPieceWriter, 1);
  self->fd = fd;
  self->size = size;
  self->direct_fd = open_direct (fd);
  self->direct = self->direct_fd >= 0;
  self->free_pieces = g_async_queue_new ();
  self->to_write = g_async_queue_new ();
  self->sums = g_malloc0 (n_pieces (size) * VSS_SHA256_LEN);
  return self;
}

static void
fail (VssPieceWriter *self, int err)
{
  g_atomic_int_compare_and_exchange (&self->write_errno, 0, err);
}

/* ---- writing, in order, on one thread ---- */

/* @n pieces from @at on, through @direct_fd while the filesystem takes it
 * (else through the page cache, written behind).  FALSE with errno. */
static gboolean
write_batch (VssPieceWriter *self, struct iovec *iov, int n, off_t at)
{
  while (n > 0) {
    int wfd = self->direct ? self->direct_fd : self->fd;
    ssize_t done = pwritev (wfd, iov, n, at);
    if (done < 0 && self->direct && errno == EINVAL) {
      self->direct = FALSE;   /* open took O_DIRECT, the write does not */
      continue;
    }
    if (done < 0 && errno == EINTR)
      continue;
    if (done <= 0) {
      errno = done == 0 ? EIO : errno;
      return FALSE;
    }
    if (!self->direct)
      vss_fs_write_behind (self->fd, at, done, &self->flushed);
    at += done;
    for (; n > 0 && (gsize) done >= iov->iov_len; iov++, n--)
      done -= (ssize_t) iov->iov_len;
    if (n > 0) {
      iov->iov_base = (guint8 *) iov->iov_base + done;
      iov->iov_len -= (gsize) done;
    }
  }
  return TRUE;
}

/* A full piece's hasher or writer is done with it. */
static void
release (VssPieceWriter *self, Piece *p)
{
  if (g_atomic_int_dec_and_test (&p->holders))
    g_async_queue_push (self->free_pieces, p);
}

/* A batch through O_DIRECT, but for the end of the file's last piece
 * that fits no block, which goes through the page cache (the set's one
 * flush writes it out).  FALSE with errno. */
static gboolean
write_pieces (VssPieceWriter *self, struct iovec *iov, int n, off_t at)
{
  struct iovec *last = &iov[n - 1];
  gsize odd = last->iov_len % DIRECT_ALIGN;
  off_t odd_at = at;
  for (int i = 0; i < n; i++)
    odd_at += (off_t) iov[i].iov_len;
  odd_at -= (off_t) odd;
  struct iovec rest = { (guint8 *) last->iov_base + last->iov_len - odd, odd };
  last->iov_len -= odd;
  int aligned = last->iov_len > 0 ? n : n - 1;
  if (aligned > 0 && !write_batch (self, iov, aligned, at))
    return FALSE;
  if (odd == 0)
    return TRUE;
  gboolean direct = self->direct;
  self->direct = FALSE;
  gboolean ok = write_batch (self, &rest, 1, odd_at);
  self->direct = direct;
  return ok;
}

/* The pieces as they are filled, in order: the first one waited for, then
 * as many as are there already (a batch grows while the disk is busy).
 * Each is hashed meanwhile on other threads, from the same buffer, which
 * neither changes. */
static gpointer
writing_thread (gpointer data)
{
  VssPieceWriter *self = data;
  for (gboolean more = TRUE; more;) {
    Piece *batch[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    int n = 0;
    for (Piece *p = g_async_queue_pop (self->to_write); p != NULL;
         p = n < MAX_BATCH ? g_async_queue_try_pop (self->to_write) : NULL) {
      more = p != &no_more;
      if (!more)
        break;
      iov[n] = (struct iovec) { p->data, p->length };
      batch[n++] = p;
    }
    off_t at = n > 0 ? (off_t) (batch[0]->index * VSS_DIGEST_PIECE) : 0;
    if (n > 0 && g_atomic_int_get (&self->write_errno) == 0 && !write_pieces (self, iov, n, at))
      fail (self, errno);
    for (int i = 0; i < n; i++)
      release (self, batch[i]);
  }
  return NULL;
}

/* ---- hashing, on every core ---- */

static void
hash_piece (const Piece *p, guint8 sum[VSS_SHA256_LEN])
{
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  vss_sha256_update (sha, p->data, p->length);
  vss_sha256_finish_raw (sha, sum);
}

static void
hash_work (gpointer data, gpointer user_data)
{
  Piece *p = data;
  VssPieceWriter *self = user_data;
  if (g_atomic_int_get (&self->write_errno) == 0)
    hash_piece (p, self->sums + p->index * VSS_SHA256_LEN);
  release (self, p);
}

/* ---- buffers, and spares kept between writers ---- */

/* A fresh buffer costs its first touch: the kernel zeroes it and, in a
 * VM, the host backs it (32 MiB took 4-230 ms here), on the filling
 * thread, inside the copy.  So while a set is being written, the
 * buffers a writer gave back are kept for its next image.
 * (Touching them ahead on another thread, while the writers are asked,
 * measured slower: the faults compete with the writers' start.) */
static GMutex spare_lock;
static GSList *spares;       /* Piece * */
static guint keepers;        /* calls of vss_piece_writer_keep_spares not yet dropped */

static Piece *
piece_new (void)
{
  Piece *p = g_new0 (Piece, 1);
  p->data = g_aligned_alloc (VSS_DIGEST_PIECE, 1, HUGE_PAGE);
  madvise (p->data, VSS_DIGEST_PIECE, MADV_HUGEPAGE);   /* a hint: without, still correct */
  return p;
}

static void
piece_free (Piece *p)
{
  g_aligned_free (p->data);
  g_free (p);
}

/* Kept for the next writer while a set writer keeps spares (at most a
 * ring's worth), freed otherwise. */
static void
give_back (Piece *p)
{
  g_mutex_lock (&spare_lock);
  gboolean keep = keepers > 0 && g_slist_length (spares) < RING;
  if (keep)
    spares = g_slist_prepend (spares, p);
  g_mutex_unlock (&spare_lock);
  if (!keep)
    piece_free (p);
}

static Piece *
take_spare (void)
{
  g_mutex_lock (&spare_lock);
  Piece *p = spares != NULL ? spares->data : NULL;
  spares = g_slist_delete_link (spares, spares);
  g_mutex_unlock (&spare_lock);
  return p;
}

void
vss_piece_writer_keep_spares (void)
{
  g_mutex_lock (&spare_lock);
  keepers++;
  g_mutex_unlock (&spare_lock);
}

void
vss_piece_writer_drop_spares (void)
{
  g_mutex_lock (&spare_lock);
  g_return_if_fail (keepers > 0);
  GSList *dropped = --keepers == 0 ? g_steal_pointer (&spares) : NULL;
  g_mutex_unlock (&spare_lock);
  g_slist_free_full (dropped, (GDestroyNotify) piece_free);
}

/* ---- filling, on the caller's thread ---- */

/* A free buffer: a spare or a new one while the ring is not full, else
 * the next one hashed and written. */
static Piece *
take_buffer (VssPieceWriter *self)
{
  Piece *p = g_async_queue_try_pop (self->free_pieces);
  if (p == NULL && self->n_made < RING) {
    p = take_spare ();
    if (p == NULL)
      p = piece_new ();
    self->made[self->n_made++] = p;
  }
  if (p == NULL)
    p = g_async_queue_pop (self->free_pieces);
  p->index = self->committed / VSS_DIGEST_PIECE;
  p->length = 0;
  return p;
}

guint8 *
vss_piece_writer_space (VssPieceWriter *self, gsize *room)
{
  if (self->current == NULL)
    self->current = take_buffer (self);
  guint64 start = self->current->index * VSS_DIGEST_PIECE;
  gsize length = (gsize) MIN ((guint64) VSS_DIGEST_PIECE, self->size - start);
  *room = length - self->current->length;
  return self->current->data + self->current->length;
}

static void
dispatch (VssPieceWriter *self)
{
  if (self->hashers == NULL) {
    guint n = CLAMP (g_get_num_processors (), 1, MAX_HASHERS);
    /* exclusive: started here, so they take this thread's priority */
    self->hashers = g_thread_pool_new (hash_work, self, (int) n, TRUE, NULL);
    self->writing = g_thread_new ("vss-piece-write", writing_thread, self);
  }
  Piece *p = g_steal_pointer (&self->current);
  p->holders = 2;
  g_async_queue_push (self->to_write, p);
  g_thread_pool_push (self->hashers, p, NULL);
}

gboolean
vss_piece_writer_commit (VssPieceWriter *self, gsize n)
{
  g_return_val_if_fail (self->current != NULL, FALSE);
  self->current->length += n;
  self->committed += n;
  if (self->current->length == VSS_DIGEST_PIECE) {
    if (test_hook != NULL)
      test_hook (self->current->index);
    dispatch (self);
  }
  int err = g_atomic_int_get (&self->write_errno);
  errno = err;
  return err == 0;
}

/* Waits for every full piece to be hashed and written (or dropped). */
static void
drain (VssPieceWriter *self)
{
  if (self->hashers == NULL)
    return;
  g_thread_pool_free (g_steal_pointer (&self->hashers), FALSE, TRUE);
  g_async_queue_push (self->to_write, &no_more);
  g_thread_join (g_steal_pointer (&self->writing));
}

static void
destroy (VssPieceWriter *self)
{
  drain (self);
  for (guint i = 0; i < self->n_made; i++)
    give_back (self->made[i]);
  g_async_queue_unref (self->free_pieces);
  g_async_queue_unref (self->to_write);
  if (self->direct_fd >= 0)
    close (self->direct_fd);
  g_free (self->sums);
  g_free (self);
}

/* An empty file is one piece too: the digest of no bytes. */
static void
hash_if_empty (VssPieceWriter *self)
{
  if (self->size == 0) {
    Piece empty = { NULL, 0, 0, 0 };
    hash_piece (&empty, self->sums);
  }
}

gboolean
vss_piece_writer_finish (VssPieceWriter *self, char out[65])
{
  if (self->committed != self->size)
    fail (self, EINVAL);   /* a caller's mistake: the file would be short */
  if (self->current != NULL && self->current->length > 0)
    dispatch (self);       /* the last piece, partial: hashed and written like the others */
  drain (self);
  hash_if_empty (self);
  int err = g_atomic_int_get (&self->write_errno);
  if (err == 0)
    vss_digest_from_pieces (self->sums, n_pieces (self->size), out);
  destroy (self);
  errno = err;
  return err == 0;
}

void
vss_piece_writer_cancel (VssPieceWriter *self)
{
  if (self == NULL)
    return;
  fail (self, ECANCELED);
  destroy (self);
}
