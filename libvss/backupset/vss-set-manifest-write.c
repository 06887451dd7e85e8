/* vss-set-manifest-write.c — a writer's entries go to DIR.partial/
 * manifest.entries as they are recorded (one line each, buffered), not to
 * memory; the commit writes manifest.json as the header (known only then:
 * the components), those lines, and the closing line with their count and
 * SHA-256.  Nothing is kept per entry: when a tree overlaps one added
 * before to its component, the paths recorded under it are read back
 * from manifest.entries for that call (vss_set_writer_begin_tree), so
 * only overlapping file sets cost memory, as much as they overlap. */
#include "vss-set-writer-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "util/vss-fs.h"

/* Bytes of entry lines gathered before a write. */
#define ENTRIES_FLUSH (256 * 1024)

gboolean
vss_set_writer_open_entries (VssBackupSetWriter *self, GError **error)
{
  self->entries_fd = openat (self->partial_fd, VSS_SET_MANIFEST_ENTRIES,
                             O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (self->entries_fd < 0)
    return vss_set_errno_error (error, errno, "cannot create", VSS_SET_MANIFEST_ENTRIES);
  self->entries_buf = g_string_sized_new (ENTRIES_FLUSH + 4096);
  return TRUE;
}

static gboolean
write_all (int fd, const char *data, gsize len, int *out_errno)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *out_errno = errno;
      return FALSE;
    }
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

/* A failed write is kept (entries_errno) and reported by the caller's
 * next check: recording an entry cannot fail on its own. */
static void
flush_entries (VssBackupSetWriter *self)
{
  if (self->entries_buf->len == 0)
    return;
  if (self->entries_errno == 0 &&
      write_all (self->entries_fd, self->entries_buf->str, self->entries_buf->len,
                 &self->entries_errno))
    self->entries_flushed += self->entries_buf->len;
  g_string_truncate (self->entries_buf, 0);
}

gboolean
vss_set_writer_check_entries (VssBackupSetWriter *self, GError **error)
{
  if (self->entries_errno == 0)
    return TRUE;
  g_autofree char *path = g_build_filename (self->partial, VSS_SET_MANIFEST_ENTRIES, NULL);
  return vss_set_errno_is_full (self->entries_errno)
             ? vss_set_writer_out_of_space (self, self->entries_errno, path, error)
             : vss_set_errno_error (error, self->entries_errno, "cannot write", path);
}

gboolean
vss_set_writer_has_entry (const VssBackupSetWriter *self, guint component, const char *path)
{
  (void) component;   /* the overlap holds the component's paths only */
  return self->overlap != NULL && g_hash_table_contains (self->overlap, path);
}

/* Is @a @b or below it? */
static gboolean
is_within (const char *a, const char *b)
{
  gsize n = strcmp (b, "/") == 0 ? 0 : strlen (b);
  return strncmp (a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static void foreach_entry_from (VssBackupSetWriter *self, guint64 offset, gpointer user_data,
                                void (*func) (VssBackupSetWriter *, const VssSetEntry *, gpointer));

typedef struct {
  guint component;
  const char *root;
} OverlapScan;

static void
add_overlap (VssBackupSetWriter *self, const VssSetEntry *e, gpointer user_data)
{
  const OverlapScan *scan = user_data;
  if (e->component == scan->component && is_within (e->path, scan->root))
    g_hash_table_add (self->overlap, g_strdup (e->path));
}

static void flush_entries (VssBackupSetWriter *self);

void
vss_set_writer_begin_tree (VssBackupSetWriter *self, guint component, const char *root)
{
  g_clear_pointer (&self->overlap, g_hash_table_unref);
  gboolean overlaps = FALSE;
  for (guint i = 0; i < self->roots->len && !overlaps; i++) {
    const VssSetWriterRoot *r = g_ptr_array_index (self->roots, i);
    overlaps = r->component == component && (is_within (r->path, root) || is_within (root, r->path));
  }
  if (!overlaps)
    return;
  self->overlap = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  flush_entries (self);
  OverlapScan scan = { component, root };
  foreach_entry_from (self, 0, &scan, add_overlap);
}

void
vss_set_writer_add_root (VssBackupSetWriter *self, guint component, const char *path)
{
  VssSetWriterRoot *r = g_new0 (VssSetWriterRoot, 1);
  r->component = component;
  r->path = g_strdup (path);
  g_ptr_array_add (self->roots, r);
  g_clear_pointer (&self->overlap, g_hash_table_unref);
}

void
vss_set_writer_root_free (VssSetWriterRoot *self)
{
  g_free (self->path);
  g_free (self);
}

void
vss_set_writer_record_entry (VssBackupSetWriter *self, VssSetEntry *e)
{
  if (vss_set_writer_has_entry (self, e->component, e->path)) {
    vss_set_entry_free (e);
    return;
  }
  vss_manifest_append_entry (self->manifest, e, self->entries_buf);
  self->n_entries++;
  vss_set_entry_free (e);
  if (self->entries_buf->len >= ENTRIES_FLUSH)
    flush_entries (self);
}

VssSetWriterMark
vss_set_writer_mark (const VssBackupSetWriter *self)
{
  VssSetWriterMark mark = { self->entries_flushed + self->entries_buf->len, self->n_entries,
                            self->roots->len };
  return mark;
}

/* @func for each entry line from @offset on, read back in chunks. */
static void
foreach_entry_from (VssBackupSetWriter *self, guint64 offset, gpointer user_data,
                    void (*func) (VssBackupSetWriter *, const VssSetEntry *, gpointer))
{
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < self->manifest->components->len; i++)
    g_hash_table_insert (index, g_ptr_array_index (self->manifest->components, i),
                         GUINT_TO_POINTER (i));
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *buf = g_malloc (ENTRIES_FLUSH);
  for (guint64 pos = offset; pos < self->entries_flushed;) {
    ssize_t n = pread (self->entries_fd, buf, MIN (ENTRIES_FLUSH, self->entries_flushed - pos),
                       (off_t) pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;   /* what cannot be read back cannot be undone; the commit fails anyway */
    pos += (guint64) n;
    for (const char *p = buf, *end = buf + n; p < end;) {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      g_string_append_len (line, p, (nl != NULL ? nl : end) - p);
      p = nl != NULL ? nl + 1 : end;
      if (nl == NULL)
        break;
      g_autoptr(VssSetEntry) e = vss_manifest_parse_entry (line->str, line->len, "an entry",
                                                           self->manifest, index, NULL);
      if (e != NULL)
        func (self, e, user_data);
      g_string_truncate (line, 0);
    }
  }
}

static void
undo_entry (VssBackupSetWriter *self, const VssSetEntry *e, gpointer user_data)
{
  (void) user_data;
  if (e->stored != NULL && !self->failed)
    unlinkat (self->partial_fd, e->stored, 0);
}

void
vss_set_writer_roll_back_to (VssBackupSetWriter *self, VssSetWriterMark mark)
{
  flush_entries (self);
  if (self->entries_flushed > mark.offset) {
    /* one file set's lines: read back to undo them, then cut off */
    foreach_entry_from (self, mark.offset, NULL, undo_entry);
    if (ftruncate (self->entries_fd, (off_t) mark.offset) != 0 && self->entries_errno == 0)
      self->entries_errno = errno;
    lseek (self->entries_fd, (off_t) mark.offset, SEEK_SET);
    self->entries_flushed = mark.offset;
  }
  self->n_entries = mark.entries;
  g_ptr_array_set_size (self->roots, mark.roots);
  g_clear_pointer (&self->overlap, g_hash_table_unref);
}

/* Copies manifest.entries into @fd after the header, hashing as it goes. */
static gboolean
copy_entries (VssBackupSetWriter *self, int fd, VssSha256 *sha, int *out_errno)
{
  g_autofree char *buf = g_malloc (ENTRIES_FLUSH);
  for (guint64 pos = 0; pos < self->entries_flushed;) {
    ssize_t n = pread (self->entries_fd, buf, MIN (ENTRIES_FLUSH, self->entries_flushed - pos),
                       (off_t) pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      *out_errno = n < 0 ? errno : EIO;
      return FALSE;
    }
    vss_sha256_update (sha, buf, (gsize) n);
    if (!write_all (fd, buf, (gsize) n, out_errno))
      return FALSE;
    pos += (guint64) n;
  }
  return TRUE;
}

static gboolean
write_lines (VssBackupSetWriter *self, int fd, int *out_errno)
{
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  char sum[65];
  vss_manifest_append_header (self->manifest, text);
  vss_sha256_update (sha, text->str, text->len);
  if (!write_all (fd, text->str, text->len, out_errno) || !copy_entries (self, fd, sha, out_errno))
    return FALSE;
  vss_sha256_finish (sha, sum);
  g_string_truncate (text, 0);
  vss_manifest_append_end (self->n_entries, sum, text);
  return write_all (fd, text->str, text->len, out_errno);
}

gboolean
vss_set_writer_write_manifest (VssBackupSetWriter *self, GError **error)
{
  flush_entries (self);
  if (!vss_set_writer_check_entries (self, error))
    return FALSE;
  g_autofree char *path = g_build_filename (self->partial, VSS_SET_MANIFEST, NULL);
  const char *tmp_name = VSS_SET_MANIFEST ".tmp";
  int fd = openat (self->partial_fd, tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   0600);
  int err = fd < 0 ? errno : 0;
  gboolean ok = fd >= 0 && write_lines (self, fd, &err) && (fsync (fd) == 0 || (err = errno, FALSE));
  if (fd >= 0 && close (fd) != 0 && ok) {
    ok = FALSE;
    err = errno;
  }
  ok = ok && (renameat (self->partial_fd, tmp_name, self->partial_fd, VSS_SET_MANIFEST) == 0 ||
              (err = errno, FALSE));
  if (!ok) {
    unlinkat (self->partial_fd, tmp_name, 0);
    return vss_set_errno_is_full (err) ? vss_set_writer_out_of_space (self, err, path, error)
                                       : vss_set_errno_error (error, err, "cannot write", path);
  }
  unlinkat (self->partial_fd, VSS_SET_MANIFEST_ENTRIES, 0);
  return TRUE;
}
