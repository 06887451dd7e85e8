/* fuzz-set.c — the body of the backup-set fuzzers (see fuzz-set.h). */
#include "fuzz-set.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vss/vss.h>

#include "document/vss-document-private.h"

#define COMPONENT_PATH "path:/data"
#define COMPONENT_WRITER "w/db/main"
/* Restores per input, whatever the manifest lists. */
#define MAX_COMPONENTS 4

struct _FuzzSet {
  char *dir;          /* temp dir: seed/, sets/, root/, outside/ */
  char *seed[FUZZ_DOC_COUNT];
};

#define FUZZ_CHECK(cond, ...) \
  do { if (!(cond)) g_error (__VA_ARGS__); } while (0)

static void
put (const char *path, const char *text)
{
  GError *error = NULL;
  FUZZ_CHECK (g_file_set_contents (path, text, -1, &error), "%s", error->message);
}

/* data/: files, a sub dir, a symlink out to outside/, a hard link. */
static void
make_source (FuzzSet *self, const char *src)
{
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  g_autofree char *db = g_build_filename (src, "db", NULL);
  FUZZ_CHECK (g_mkdir_with_parents (sub, 0755) == 0 && g_mkdir_with_parents (db, 0755) == 0,
              "mkdir");
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *b = g_build_filename (sub, "b.txt", NULL);
  g_autofree char *l = g_build_filename (sub, "a-link", NULL);
  g_autofree char *s = g_build_filename (src, "out", NULL);
  g_autofree char *m = g_build_filename (db, "main.txt", NULL);
  g_autofree char *outside = g_build_filename (self->dir, "outside", NULL);
  put (a, "alpha\n");
  put (b, "beta beta\n");
  put (m, "database\n");
  FUZZ_CHECK (link (a, l) == 0 && symlink (outside, s) == 0, "link: %s", g_strerror (errno));
}

static char *
writer_metadata (void)
{
  g_autoptr(VssWriterMetadata) md = vss_writer_metadata_new (
      "0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d11", "0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d12", "w",
      VSS_UT_USERDATA);
  FUZZ_CHECK (vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, "db", "main", NULL, TRUE,
                                                 TRUE, NULL) &&
              vss_writer_metadata_add_files_to_file_group (md, "db", "main", "/srv/db", "*.txt",
                                                           FALSE, NULL, NULL), "metadata");
  return vss_writer_metadata_to_json (md);
}

static void
write_set (const char *dir, const char *src, VssBackupType type, VssBackupSet *base,
           const char *metadata)
{
  GError *error = NULL;
  const char *base_id = base != NULL ? vss_backup_set_get_id (base) : NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, type, base_id, &error);
  g_autofree char *db = g_build_filename (src, "db", NULL);
  g_autoptr(VssDocument) doc = vss_document_new ();
  g_autofree char *bcd = vss_document_to_json (doc);
  FUZZ_CHECK (w != NULL &&
              vss_backup_set_writer_add_files (w, COMPONENT_PATH, src, "/data", "*", TRUE, base,
                                               NULL, NULL, &error) &&
              vss_backup_set_writer_add_files (w, COMPONENT_WRITER, db, "/srv/db", "*.txt", FALSE,
                                               base, NULL, NULL, &error) &&
              vss_backup_set_writer_add_writer_metadata (w, "w", metadata, &error) &&
              vss_backup_set_writer_commit (w, bcd, &error),
              "seed set: %s", error != NULL ? error->message : "");
}

static char *
read_text (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  FUZZ_CHECK (g_file_get_contents (path, &text, NULL, NULL), "read %s", path);
  return text;
}

/* Manifest lines as the one document of version 3 that libvss
 * wrote before, so the fuzzer keeps reaching the old reader. */
static char *
to_document (const char *lines)
{
  g_auto(GStrv) split = g_strsplit (lines, "\n", -1);
  GString *text = g_string_new_len (split[0], (gssize) strlen (split[0]) - 1);
  g_string_append (text, ",\"entries\":[");
  for (guint i = 1; split[i] != NULL && g_str_has_prefix (split[i], "{\"component\""); i++)
    g_string_append_printf (text, "%s\n%s", i == 1 ? "" : ",", split[i]);
  g_string_append (text, "\n]}\n");
  g_autofree char *doc = g_string_free (text, FALSE);
  g_auto(GStrv) parts = g_strsplit (doc, "\"version\":5", 2);
  FUZZ_CHECK (parts[1] != NULL, "no version 5 header");
  return g_strjoin ("\"version\":3", parts[0], parts[1], NULL);
}

FuzzSet *
fuzz_set_new (void)
{
  FuzzSet *self = g_new0 (FuzzSet, 1);
  /* tmpfs when there is one: a restore fsyncs every file and syncfs()es
   * the filesystem, which on a shared disk would dominate the run. */
  const char *tmp_base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0
                         ? "/dev/shm" : g_get_tmp_dir ();
  self->dir = g_build_filename (tmp_base, "vss-fuzz-XXXXXX", NULL);
  self->dir = g_mkdtemp (self->dir);
  FUZZ_CHECK (self->dir != NULL, "no temp dir");
  g_autofree char *src = g_build_filename (self->dir, "src", NULL);
  g_autofree char *outside = g_build_filename (self->dir, "outside", NULL);
  g_autofree char *seed = g_build_filename (self->dir, "seed", NULL);
  FUZZ_CHECK (g_mkdir_with_parents (outside, 0755) == 0 && g_mkdir_with_parents (seed, 0700) == 0,
              "mkdir");
  make_source (self, src);
  g_autofree char *metadata = writer_metadata ();
  g_autofree char *full = g_build_filename (seed, "full", NULL);
  g_autofree char *incr = g_build_filename (seed, "incr", NULL);
  write_set (full, src, VSS_BT_FULL, NULL, metadata);
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  put (a, "alpha, changed\n");
  g_autoptr(VssBackupSet) base = vss_backup_set_open (full, NULL);
  write_set (incr, src, VSS_BT_INCREMENTAL, base, metadata);
  self->seed[FUZZ_DOC_FULL_MANIFEST] = read_text (full, "manifest.json");
  self->seed[FUZZ_DOC_INCR_MANIFEST] = read_text (incr, "manifest.json");
  self->seed[FUZZ_DOC_BCD] = read_text (incr, "bcd.json");
  self->seed[FUZZ_DOC_WRITER_METADATA] = read_text (incr, "writers/w.json");
  self->seed[FUZZ_DOC_FULL_MANIFEST_V3] = to_document (self->seed[FUZZ_DOC_FULL_MANIFEST]);
  return self;
}

static void run_command (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
run_command (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *cmd = g_strdup_vprintf (format, args);
  va_end (args);
  FUZZ_CHECK (system (cmd) == 0, "failed: %s", cmd);
}

void
fuzz_set_free (FuzzSet *self)
{
  if (self == NULL)
    return;
  run_command ("chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", self->dir, self->dir);
  for (guint i = 0; i < FUZZ_DOC_COUNT; i++)
    g_free (self->seed[i]);
  g_free (self->dir);
  g_free (self);
}

const char *
fuzz_set_seed (FuzzSet *self, FuzzDoc doc)
{
  return self->seed[doc];
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every path under @dir but root/, with type, size, mode and mtime. */
static void
listing (GString *out, const char *dir, const char *rel)
{
  g_autofree char *path = rel[0] != '\0' ? g_build_filename (dir, rel, NULL) : g_strdup (dir);
  struct stat st;
  if (strcmp (rel, "root") == 0 || lstat (path, &st) != 0)
    return;   /* the restore root is the one place allowed to change */
  g_string_append_printf (out, "%s %o %lld %lld.%09ld\n", rel, st.st_mode, (long long) st.st_size,
                          (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (!S_ISDIR (st.st_mode))
    return;
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *name; d != NULL && (name = g_dir_read_name (d)) != NULL;)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *child = rel[0] != '\0' ? g_build_filename (rel, g_ptr_array_index (names, i), NULL)
                                            : g_strdup (g_ptr_array_index (names, i));
    listing (out, dir, child);
  }
}

static char *
snapshot (FuzzSet *self)
{
  GString *out = g_string_new (NULL);
  listing (out, self->dir, "");
  return g_string_free (out, FALSE);
}

static void
check_bounds (const char *what, gint64 start)
{
  gint64 took = g_get_monotonic_time () - start;
  FUZZ_CHECK (took < FUZZ_SET_CALL_USEC, "%s took %" G_GINT64_FORMAT " us", what, took);
  struct rusage ru;
  FUZZ_CHECK (getrusage (RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss < FUZZ_SET_MAX_RSS_KB,
              "%s: %ld KiB resident", what, ru.ru_maxrss);
}

/* Fresh sets/ from seed/ with @doc replaced by @data. */
static void
prepare (FuzzSet *self, FuzzDoc doc, const guint8 *data, gsize len)
{
  run_command ("chmod -R u+rwx '%s/sets' '%s/root' 2>/dev/null; rm -rf '%s/sets' '%s/root' && "
               "cp -a '%s/seed' '%s/sets' && mkdir '%s/root'", self->dir, self->dir, self->dir,
               self->dir, self->dir, self->dir, self->dir);
  static const char *const files[] = {
    "full/manifest.json", "incr/manifest.json", "incr/bcd.json", "incr/writers/w.json",
    "full/manifest.json",
  };
  g_autofree char *path = g_build_filename (self->dir, "sets", files[doc], NULL);
  FUZZ_CHECK (g_file_set_contents (path, (const char *) data, (gssize) len, NULL), "write %s", path);
}

static gboolean
restore_all (FuzzSet *self, VssBackupSet *set, GPtrArray *chain)
{
  g_autofree char *root = g_build_filename (self->dir, "root", NULL);
  g_autoptr(GPtrArray) components = vss_backup_set_list_components (set);
  gboolean any = FALSE;
  for (guint i = 0; i < components->len && i < MAX_COMPONENTS; i++) {
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time ();
    any |= vss_backup_set_restore_component (set, chain, g_ptr_array_index (components, i), root,
                                             NULL, VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error);
    check_bounds ("restore", start);
  }
  return any;
}

static gboolean
use_set (FuzzSet *self, const char *name)
{
  g_autofree char *dir = g_build_filename (self->dir, "sets", name, NULL);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, NULL);
  check_bounds ("open", start);
  if (set == NULL)
    return FALSE;
  start = g_get_monotonic_time ();
  vss_backup_set_verify (set, NULL, NULL, NULL, NULL, NULL);
  check_bounds ("verify", start);
  g_autoptr(GPtrArray) chain = NULL;
  start = g_get_monotonic_time ();
  vss_backup_set_find_chain (set, &chain, NULL);
  check_bounds ("find_chain", start);
  return restore_all (self, set, chain);
}

gboolean
fuzz_set_run (FuzzSet *self, FuzzDoc doc, const guint8 *data, gsize len)
{
  prepare (self, doc, data, len);
  g_autofree char *before = snapshot (self);
  gboolean full = doc == FUZZ_DOC_FULL_MANIFEST || doc == FUZZ_DOC_FULL_MANIFEST_V3;
  gboolean restored = use_set (self, full ? "full" : "incr");
  g_autofree char *after = snapshot (self);
  FUZZ_CHECK (strcmp (before, after) == 0, "something outside the restore root changed:\n"
              "--- before\n%s--- after\n%s", before, after);
  return restored;
}
