/* vss-set-manifest-stream.c — reading manifest.json a line at a time, so
 * that opening, verifying and restoring a set of a million files holds
 * one entry, not a million (docs/backup-set.md, version 4).  A set of
 * version 1-3 is one JSON document: it is parsed whole as before, then
 * its entries are written as version 4 lines into a memfd and read like
 * the others, so every consumer has one way to walk and look up. */
#include "vss-backup-set-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads per pread; an entry line is ~300 bytes. */
#define LINE_READ_CHUNK (256 * 1024)

typedef struct {
  int fd;
  guint64 pos, end;        /* next offset to read, where to stop */
  char *buf;
  gsize len, used;         /* bytes in buf, bytes of them consumed */
  GString *line;
  guint64 line_offset;     /* of the line last returned */
  guint number;            /* its line number */
} LineReader;

static void
line_reader_init (LineReader *lr, int fd, guint64 start, guint64 end, guint first_line)
{
  memset (lr, 0, sizeof *lr);
  lr->fd = fd;
  lr->pos = start;
  lr->end = end;
  lr->buf = g_malloc (LINE_READ_CHUNK);
  lr->line = g_string_new (NULL);
  lr->number = first_line - 1;
}

static void
line_reader_clear (LineReader *lr)
{
  g_free (lr->buf);
  g_string_free (lr->line, TRUE);
}

static gboolean
fill (LineReader *lr, gboolean *out_eof, GError **error)
{
  ssize_t n;
  do
    n = pread (lr->fd, lr->buf, MIN (LINE_READ_CHUNK, lr->end - lr->pos), (off_t) lr->pos);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return vss_set_errno_error (error, errno, "cannot read", VSS_SET_MANIFEST);
  lr->pos += (guint64) n;
  lr->len = (gsize) n;
  lr->used = 0;
  *out_eof = n == 0;
  return TRUE;
}

/* The next line without its "\n" in *out (NULL at the end).  A last line
 * without "\n" is a manifest cut short. */
static gboolean
line_next (LineReader *lr, const char **out, GError **error)
{
  g_string_truncate (lr->line, 0);
  lr->line_offset = lr->pos - (lr->len - lr->used);
  for (;;) {
    if (lr->used == lr->len) {
      gboolean eof = lr->pos >= lr->end;
      if (!eof && !fill (lr, &eof, error))
        return FALSE;
      if (eof)
        break;
    }
    const char *start = lr->buf + lr->used;
    const char *nl = memchr (start, '\n', lr->len - lr->used);
    gsize take = nl != NULL ? (gsize) (nl - start) : lr->len - lr->used;
    if (lr->line->len + take > VSS_MANIFEST_MAX_LINE) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                   "manifest.json: line %u is longer than %d bytes: the set is damaged",
                   lr->number + 1, VSS_MANIFEST_MAX_LINE);
      return FALSE;
    }
    g_string_append_len (lr->line, start, take);
    lr->used += take + (nl != NULL);
    if (nl != NULL) {
      lr->number++;
      *out = lr->line->str;
      return TRUE;
    }
  }
  *out = NULL;
  return TRUE;
}

/* line_next at the end of the entries' range too: a partial last line. */
static gboolean
line_next_whole (LineReader *lr, const char **out, GError **error)
{
  if (!line_next (lr, out, error))
    return FALSE;
  if (*out != NULL || lr->line->len == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "manifest.json: line %u ends without a newline: the manifest was cut short "
               "(a truncated copy?)", lr->number + 1);
  return FALSE;
}

/* ---- the reader ---- */

struct _VssManifestReader {
  const VssBackupSet *set;
  LineReader lines;
  VssSetEntry *current;
};

VssManifestReader *
vss_manifest_reader_new (const VssBackupSet *set)
{
  VssManifestReader *self = g_new0 (VssManifestReader, 1);
  self->set = set;
  line_reader_init (&self->lines, set->entries_fd, set->entries_start, set->entries_end,
                    set->first_line);
  return self;
}

gboolean
vss_manifest_reader_next (VssManifestReader *self, const VssSetEntry **out, GError **error)
{
  g_clear_pointer (&self->current, vss_set_entry_free);
  *out = NULL;
  const char *line = NULL;
  if (!line_next_whole (&self->lines, &line, error))
    return FALSE;
  if (line == NULL)
    return TRUE;
  g_autofree char *where = g_strdup_printf ("line %u", self->lines.number);
  self->current = vss_manifest_parse_entry (line, self->lines.line->len, where,
                                            self->set->manifest, self->set->component_index,
                                            error);
  *out = self->current;
  return self->current != NULL;
}

VssSetEntry *
vss_manifest_reader_steal (VssManifestReader *self)
{
  return g_steal_pointer (&self->current);
}

void
vss_manifest_reader_free (VssManifestReader *self)
{
  if (self == NULL)
    return;
  vss_set_entry_free (self->current);
  line_reader_clear (&self->lines);
  g_free (self);
}

VssSetEntry *
vss_backup_set_read_entry_at (const VssBackupSet *set, guint64 offset, GError **error)
{
  LineReader lr;
  line_reader_init (&lr, set->entries_fd, offset, set->entries_end, 1);
  const char *line = NULL;
  VssSetEntry *e = NULL;
  if (line_next_whole (&lr, &line, error) && line != NULL)
    e = vss_manifest_parse_entry (line, lr.line->len, "an entry", set->manifest,
                                  set->component_index, error);
  else if (line == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json changed while the set was open");
  line_reader_clear (&lr);
  return e;
}

/* ---- loading ---- */

typedef struct {
  VssBackupSet *set;
  LineReader lines;
  VssSha256 *whole;        /* every byte: what a set built on this one records */
  VssSha256 *before_end;   /* every byte before the closing line */
  GArray *hardlinks;       /* guint64 line offsets of hard-link entries */
  guint64 end_entries;
  char end_sha256[65];
  gboolean has_end;
} Load;

static void
hash_line (Load *l, gboolean before_end)
{
  vss_sha256_update (l->whole, l->lines.line->str, l->lines.line->len);
  vss_sha256_update (l->whole, "\n", 1);
  if (before_end) {
    vss_sha256_update (l->before_end, l->lines.line->str, l->lines.line->len);
    vss_sha256_update (l->before_end, "\n", 1);
  }
}

/* Every entry line up to the closing line (@expect_end) or the end. */
static gboolean
scan_entries (Load *l, gboolean expect_end, GError **error)
{
  VssBackupSet *set = l->set;
  const char *line = NULL;
  for (;;) {
    if (!line_next_whole (&l->lines, &line, error))
      return FALSE;
    if (line == NULL)
      break;
    g_autofree char *where = g_strdup_printf ("line %u", l->lines.number);
    gboolean is_end = FALSE;
    if (expect_end && !vss_manifest_parse_end (line, l->lines.line->len, where, &is_end,
                                               &l->end_entries, l->end_sha256, error))
      return FALSE;
    hash_line (l, !is_end);
    if (is_end) {
      l->has_end = TRUE;
      set->entries_end = l->lines.line_offset;
      return TRUE;
    }
    g_autoptr(VssSetEntry) e = vss_manifest_parse_entry (line, l->lines.line->len, where,
                                                         set->manifest, set->component_index,
                                                         error);
    if (e == NULL)
      return FALSE;
    if (!vss_slot_table_add (set->index, vss_manifest_key_hash (e->component, e->path),
                             l->lines.line_offset, error))
      return FALSE;
    if (e->hardlink != NULL)
      g_array_append_val (l->hardlinks, l->lines.line_offset);
    set->n_entries++;
  }
  set->entries_end = l->lines.pos;
  return TRUE;
}

/* The closing line is the last, and says what the lines before it hold. */
static gboolean
check_end (Load *l, GError **error)
{
  const char *line = NULL;
  char sha[65];
  if (!l->has_end) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json ends at line %u without its closing line: the manifest was "
                 "cut short (a truncated copy?)", l->lines.number);
    return FALSE;
  }
  guint end_line = l->lines.number;
  if (!line_next (&l->lines, &line, error))
    return FALSE;
  if (line != NULL || l->lines.line->len > 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json: line %u: text after the closing line (line %u)",
                 end_line + 1, end_line);
    return FALSE;
  }
  vss_sha256_finish (l->before_end, sha);
  if (l->end_entries != l->set->n_entries || strcmp (sha, l->end_sha256) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json: line %u: the closing line says %" G_GUINT64_FORMAT
                 " entries with SHA-256 %s, the lines before it are %" G_GUINT64_FORMAT
                 " entries with SHA-256 %s: the manifest was damaged or edited",
                 end_line, l->end_entries, l->end_sha256, l->set->n_entries, sha);
    return FALSE;
  }
  return TRUE;
}

/* A hard link names an earlier file entry of its component that has
 * data (stored or in a base), of the same size and checksum. */
static gboolean
check_hardlink (const VssBackupSet *set, guint64 offset, GError **error)
{
  g_autoptr(VssSetEntry) e = vss_backup_set_read_entry_at (set, offset, error);
  if (e == NULL)
    return FALSE;
  VssSetEntry *found = NULL;
  gint64 at = vss_manifest_index_find (set, e->component, e->hardlink, &found);
  g_autoptr(VssSetEntry) first = found;
  if (at >= 0 && (guint64) at >= offset)
    g_clear_pointer (&first, vss_set_entry_free);
  const char *problem = first == NULL ? "names no earlier entry of its component"
                        : first->type != VSS_SET_ENTRY_FILE || first->hardlink != NULL
                            ? "names an entry that is not a file with data"
                        : !vss_set_entry_same_data (first, e)
                            ? "differs in size or checksum from the file it links to" : NULL;
  if (problem == NULL)
    return TRUE;
  g_clear_error (error);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "manifest.json: the entry of %s: hardlink: %s %s", e->path, e->hardlink, problem);
  return FALSE;
}

static void
index_components (VssBackupSet *set)
{
  set->component_index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < set->manifest->components->len; i++)
    g_hash_table_insert (set->component_index, g_ptr_array_index (set->manifest->components, i),
                         GUINT_TO_POINTER (i));
}

/* A version 1-3 document: parsed whole, its entries then kept as lines
 * in a memfd (one copy in the page cache, none in the heap). */
static gboolean
load_document (Load *l, int fd, GError **error)
{
  VssBackupSet *set = l->set;
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  struct stat st;
  if (fstat (fd, &st) == 0 && (guint64) st.st_size > VSS_MANIFEST_MAX_BYTES) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json is %" G_GUINT64_FORMAT " bytes; the limit is %d",
                 (guint64) st.st_size, VSS_MANIFEST_MAX_BYTES);
    return FALSE;
  }
  mapped = st.st_size > 0 ? g_mapped_file_new_from_fd (fd, FALSE, &local) : NULL;
  if (st.st_size > 0 && mapped == NULL)
    return vss_set_errno_error (error, EIO, "cannot read", VSS_SET_MANIFEST);
  text = mapped != NULL ? g_strndup (g_mapped_file_get_contents (mapped),
                                     g_mapped_file_get_length (mapped)) : g_strdup ("");
  len = mapped != NULL ? g_mapped_file_get_length (mapped) : 0;
  vss_sha256_update (l->whole, text, len);
  g_autoptr(VssManifest) m = vss_manifest_from_json (text, len, error);
  if (m == NULL)
    return FALSE;
  int memfd = memfd_create ("vss-manifest", MFD_CLOEXEC);
  if (memfd < 0)
    return vss_set_errno_error (error, errno, "cannot create a memfd for", VSS_SET_MANIFEST);
  g_autoptr(GString) lines = g_string_new (NULL);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < m->entries->len; i++) {
    vss_manifest_append_entry (m, g_ptr_array_index (m->entries, i), lines);
    if (lines->len >= LINE_READ_CHUNK || i + 1 == m->entries->len) {
      ok = write (memfd, lines->str, lines->len) == (ssize_t) lines->len;
      g_string_truncate (lines, 0);
    }
  }
  if (!ok) {
    close (memfd);
    return vss_set_errno_error (error, errno, "cannot write a memfd for", VSS_SET_MANIFEST);
  }
  g_ptr_array_set_size (m->entries, 0);
  set->manifest = g_steal_pointer (&m);
  set->entries_fd = memfd;
  set->first_line = 1;
  index_components (set);
  line_reader_init (&l->lines, memfd, 0, G_MAXUINT64, 1);
  return scan_entries (l, FALSE, error);
}

static gboolean
load_lines (Load *l, int fd, GError **error)
{
  VssBackupSet *set = l->set;
  const char *line = NULL;
  line_reader_init (&l->lines, fd, 0, G_MAXUINT64, 1);
  if (!line_next (&l->lines, &line, error))
    return FALSE;
  set->manifest = line != NULL ? vss_manifest_parse_header (line, l->lines.line->len, error) : NULL;
  if (set->manifest == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (set->manifest == NULL) {
    line_reader_clear (&l->lines);
    memset (&l->lines, 0, sizeof l->lines);
    return load_document (l, fd, error);
  }
  hash_line (l, TRUE);
  set->entries_fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (set->entries_fd < 0)
    return vss_set_errno_error (error, errno, "cannot read", VSS_SET_MANIFEST);
  set->entries_start = l->lines.line_offset + l->lines.line->len + 1;
  set->first_line = 2;
  index_components (set);
  return scan_entries (l, TRUE, error) && check_end (l, error);
}

gboolean
vss_backup_set_load_manifest (VssBackupSet *set, int fd, GError **error)
{
  Load l = { set, { 0 }, vss_sha256_new (), vss_sha256_new (),
             g_array_new (FALSE, FALSE, sizeof (guint64)), 0, "", FALSE };
  set->index = vss_slot_table_new ();
  gboolean ok = load_lines (&l, fd, error) && vss_manifest_index_finish (set, error);
  for (guint i = 0; ok && i < l.hardlinks->len; i++)
    ok = check_hardlink (set, g_array_index (l.hardlinks, guint64, i), error);
  if (ok)
    vss_sha256_finish (l.whole, set->manifest_sha256);
  if (l.lines.buf != NULL)
    line_reader_clear (&l.lines);
  vss_sha256_free (l.whole);
  vss_sha256_free (l.before_end);
  g_array_unref (l.hardlinks);
  return ok;
}
