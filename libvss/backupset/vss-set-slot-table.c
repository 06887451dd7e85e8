/* vss-set-slot-table.c — a sorted table of (hash, offset) slots that is
 * not held in memory: slots are sorted in runs of VSS_SLOT_RUN and
 * written to a memfd, the runs merged into one sorted memfd, and only
 * every VSS_SLOT_BLOCK-th hash stays in memory (8 bytes per 256 slots),
 * so a lookup is a search in memory and one pread of a block.  A table
 * that fits one run stays in memory as it is. */
#include "vss-backup-set-private.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Slots sorted in memory at once: 1 MiB. */
#define VSS_SLOT_RUN 65536
/* Slots a lookup reads with one pread: 4 KiB. */
#define VSS_SLOT_BLOCK 256

struct _VssSlotTable {
  GArray *run;         /* VssManifestSlot: the run being filled, or the whole table */
  int runs_fd;         /* sorted runs, each VSS_SLOT_RUN slots but the last */
  guint64 n_runs_slots;
  int fd;              /* the merged table, or -1 when it is @run */
  guint64 n;           /* slots in @fd */
  GArray *firsts;      /* guint64: the hash of each block's first slot */
};

static gint
compare_slots (gconstpointer a, gconstpointer b)
{
  const VssManifestSlot *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

VssSlotTable *
vss_slot_table_new (void)
{
  VssSlotTable *self = g_new0 (VssSlotTable, 1);
  self->run = g_array_new (FALSE, FALSE, sizeof (VssManifestSlot));
  self->runs_fd = -1;
  self->fd = -1;
  return self;
}

void
vss_slot_table_free (VssSlotTable *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->run);
  if (self->runs_fd >= 0)
    close (self->runs_fd);
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->firsts, g_array_unref);
  g_free (self);
}

static gboolean
write_slots (int fd, const VssManifestSlot *slots, guint count, GError **error)
{
  gsize len = count * sizeof *slots;
  const char *p = (const char *) slots;
  while (len > 0) {
    ssize_t n = write (fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vss_set_errno_error (error, errno, "cannot write", "the manifest's lookup table");
    p += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static gboolean
read_slots (int fd, guint64 first, VssManifestSlot *out, guint count)
{
  gsize len = count * sizeof *out;
  return pread (fd, out, len, (off_t) (first * sizeof *out)) == (ssize_t) len;
}

static int
new_memfd (GError **error)
{
  int fd = memfd_create ("vss-manifest-index", MFD_CLOEXEC);
  if (fd < 0)
    vss_set_errno_error (error, errno, "cannot create", "a memfd for the manifest's lookup table");
  return fd;
}

/* The run in memory, sorted, onto the end of the runs' memfd. */
static gboolean
flush_run (VssSlotTable *self, GError **error)
{
  if (self->runs_fd < 0 && (self->runs_fd = new_memfd (error)) < 0)
    return FALSE;
  g_array_sort (self->run, compare_slots);
  if (!write_slots (self->runs_fd, (VssManifestSlot *) self->run->data, self->run->len, error))
    return FALSE;
  self->n_runs_slots += self->run->len;
  g_array_set_size (self->run, 0);
  return TRUE;
}

gboolean
vss_slot_table_add (VssSlotTable *self, guint64 hash, guint64 offset, GError **error)
{
  VssManifestSlot slot = { hash, offset };
  g_array_append_val (self->run, slot);
  return self->run->len < VSS_SLOT_RUN || flush_run (self, error);
}

/* One run being merged: a window of it in memory. */
typedef struct {
  guint64 next, end;   /* slots of the run not in the window yet */
  VssManifestSlot window[VSS_SLOT_BLOCK];
  guint at, len;
} Run;

static gboolean
run_head (VssSlotTable *self, Run *r, const VssManifestSlot **out)
{
  if (r->at == r->len && r->next < r->end) {
    r->len = (guint) MIN ((guint64) VSS_SLOT_BLOCK, r->end - r->next);
    if (!read_slots (self->runs_fd, r->next, r->window, r->len))
      return FALSE;
    r->next += r->len;
    r->at = 0;
  }
  *out = r->at < r->len ? &r->window[r->at] : NULL;
  return TRUE;
}

/* The runs into one sorted memfd, @dup called for two equal hashes in a
 * row; a block index kept. */
static gboolean
merge (VssSlotTable *self, VssSlotDupFunc dup, gpointer user_data, GError **error)
{
  guint n_runs = (guint) ((self->n_runs_slots + VSS_SLOT_RUN - 1) / VSS_SLOT_RUN);
  g_autofree Run *runs = g_new0 (Run, n_runs);
  for (guint i = 0; i < n_runs; i++) {
    runs[i].next = (guint64) i * VSS_SLOT_RUN;
    runs[i].end = MIN (runs[i].next + VSS_SLOT_RUN, self->n_runs_slots);
  }
  if ((self->fd = new_memfd (error)) < 0)
    return FALSE;
  self->firsts = g_array_new (FALSE, FALSE, sizeof (guint64));
  VssManifestSlot out[VSS_SLOT_BLOCK], prev = { 0, 0 };
  guint out_len = 0;
  for (;;) {
    const VssManifestSlot *best = NULL, *head = NULL;
    guint best_run = 0;
    for (guint i = 0; i < n_runs; i++) {
      if (!run_head (self, &runs[i], &head))
        return vss_set_errno_error (error, EIO, "cannot read", "the manifest's lookup table");
      if (head != NULL && (best == NULL || compare_slots (head, best) < 0)) {
        best = head;
        best_run = i;
      }
    }
    if (best == NULL)
      break;
    if (self->n > 0 && best->hash == prev.hash && dup != NULL &&
        !dup (prev.offset, best->offset, user_data, error))
      return FALSE;
    if (self->n % VSS_SLOT_BLOCK == 0)
      g_array_append_val (self->firsts, best->hash);
    prev = *best;
    out[out_len++] = *best;
    runs[best_run].at++;
    self->n++;
    if (out_len == VSS_SLOT_BLOCK) {
      if (!write_slots (self->fd, out, out_len, error))
        return FALSE;
      out_len = 0;
    }
  }
  return write_slots (self->fd, out, out_len, error);
}

gboolean
vss_slot_table_finish (VssSlotTable *self, VssSlotDupFunc dup, gpointer user_data, GError **error)
{
  if (self->runs_fd < 0) {
    /* one run: it stays in memory */
    g_array_sort (self->run, compare_slots);
    for (guint i = 1; dup != NULL && i < self->run->len; i++) {
      const VssManifestSlot *a = &g_array_index (self->run, VssManifestSlot, i - 1);
      const VssManifestSlot *b = &g_array_index (self->run, VssManifestSlot, i);
      if (a->hash == b->hash && !dup (a->offset, b->offset, user_data, error))
        return FALSE;
    }
    return TRUE;
  }
  if (self->run->len > 0 && !flush_run (self, error))
    return FALSE;
  gboolean ok = merge (self, dup, user_data, error);
  close (self->runs_fd);
  self->runs_fd = -1;
  return ok;
}

/* The slots of the block that may hold @hash first, in @buf. */
static guint
load_block (const VssSlotTable *self, guint64 hash, VssManifestSlot *buf, guint *out_block)
{
  guint lo = 0, hi = self->firsts->len;
  /* the last block whose first hash is below @hash: equal hashes may
   * start in the block before the one that begins with @hash */
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index (self->firsts, guint64, mid) < hash)
      lo = mid + 1;
    else
      hi = mid;
  }
  guint block = lo > 0 ? lo - 1 : 0;
  guint64 first = (guint64) block * VSS_SLOT_BLOCK;
  guint len = (guint) MIN ((guint64) VSS_SLOT_BLOCK, self->n - first);
  *out_block = block;
  return read_slots (self->fd, first, buf, len) ? len : 0;
}

void
vss_slot_table_find (const VssSlotTable *self, guint64 hash, VssSlotFunc func, gpointer user_data)
{
  if (self->fd < 0) {
    const VssManifestSlot *slots = (const VssManifestSlot *) self->run->data;
    guint lo = 0, hi = self->run->len;
    while (lo < hi) {
      guint mid = lo + (hi - lo) / 2;
      if (slots[mid].hash < hash)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (guint i = lo; i < self->run->len && slots[i].hash == hash; i++)
      if (!func (slots[i].offset, user_data))
        return;
    return;
  }
  VssManifestSlot buf[VSS_SLOT_BLOCK];
  guint block = 0;
  for (guint len = load_block (self, hash, buf, &block); len > 0;) {
    for (guint i = 0; i < len; i++) {
      if (buf[i].hash > hash)
        return;
      if (buf[i].hash == hash && !func (buf[i].offset, user_data))
        return;
    }
    guint64 first = (guint64) ++block * VSS_SLOT_BLOCK;
    len = first < self->n ? (guint) MIN ((guint64) VSS_SLOT_BLOCK, self->n - first) : 0;
    if (len > 0 && !read_slots (self->fd, first, buf, len))
      return;
  }
}
