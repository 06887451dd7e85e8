/* bs-test.c — shared helpers of the backup-set tests (see bs-test.h). */
#include "bs-test.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <json-c/json.h>

#include "document/vss-document-private.h"
#include "vss-test.h"

char *bs_tmpdir;

void
bs_setup (void)
{
  bs_tmpdir = vss_test_setup_env ();
}

void
bs_teardown (void)
{
  vss_test_teardown_env (g_steal_pointer (&bs_tmpdir));
}

char *
bs_path (const char *rel)
{
  return g_build_filename (bs_tmpdir, rel, NULL);
}

static void
make_sparse (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert (fd >= 0);
  cr_assert_eq (pwrite (fd, "head", 4, 0), 4);
  cr_assert_eq (pwrite (fd, "tail", 4, 8 * 1024 * 1024), 4);
  close (fd);
}

void
bs_make_tree (const char *root)
{
  g_autofree char *sub = g_build_filename (root, "sub", NULL);
  g_autofree char *deep = g_build_filename (root, "sub", "deep", NULL);
  g_autofree char *empty = g_build_filename (root, "empty", NULL);
  cr_assert_eq (g_mkdir_with_parents (deep, 0755), 0);
  cr_assert_eq (g_mkdir_with_parents (empty, 0750), 0);
  g_autofree char *a = g_build_filename (root, "a.txt", NULL);
  g_autofree char *secret = g_build_filename (root, "sub", "secret", NULL);
  g_autofree char *big = g_build_filename (root, "sub", "deep", "big.bin", NULL);
  g_autofree char *sparse = g_build_filename (root, "sparse.img", NULL);
  g_autofree char *link = g_build_filename (root, "link", NULL);
  vss_test_put_file (a, "hello, world\n", 0644);
  vss_test_put_file (secret, "s3cret", 0600);
  GString *data = g_string_new (NULL);
  for (int i = 0; i < 300000; i++)
    g_string_append_printf (data, "%d,", i);
  vss_test_put_file (big, data->str, 0640);
  g_string_free (data, TRUE);
  make_sparse (sparse);
  cr_assert_eq (symlink ("sub/secret", link), 0);
  cr_assert_eq (setxattr (a, "user.origin", "test\0bin", 8, 0), 0, "setxattr: %s",
                g_strerror (errno));
  if (geteuid () == 0) {
    g_autofree char *suid = g_build_filename (root, "suid-tool", NULL);
    vss_test_put_file (suid, "#!/bin/sh\n", 04755);
    cr_assert_eq (chown (secret, 1234, 5678), 0);
    cr_assert_eq (chmod (secret, 0600), 0);
    cr_assert_eq (chmod (suid, 04755), 0);
  }
  vss_test_set_mtime (a, 1000000000, 123456789);
  vss_test_set_mtime (secret, 1100000000, 1);
  vss_test_set_mtime (link, 1200000000, 999999999);
  vss_test_set_mtime (deep, 1300000000, 5);
  vss_test_set_mtime (empty, 1400000000, 42);
  vss_test_set_mtime (sub, 1500000000, 7);
}

char *
bs_bcd (void)
{
  g_autoptr(VssDocument) doc = vss_document_new ();
  return vss_document_to_json (doc);
}

char *
bs_write_set (const char *dir, const char *component, const char *src, const char *original,
              VssBackupType type, VssBackupSet *base)
{
  g_autoptr(GError) error = NULL;
  const char *base_id = base != NULL ? vss_backup_set_get_id (base) : NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, type, base_id, &error);
  cr_assert_not_null (w, "writer_new: %s", error ? error->message : "");
  cr_assert (vss_backup_set_writer_add_files (w, component, src, original, "*", TRUE, base,
                                              NULL, NULL, &error),
             "add_files: %s", error ? error->message : "");
  cr_assert (vss_backup_set_writer_add_writer_metadata (w, "test", "{\"w\":1}", &error));
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "commit: %s",
             error ? error->message : "");
  return g_strdup (dir);
}

static void
snapshot_into (GString *out, const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  struct stat st;
  if (lstat (path, &st) != 0)
    return;
  g_string_append_printf (out, "%s %o %ld %ld.%09ld\n", rel, st.st_mode, (long) st.st_size,
                          (long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (!S_ISDIR (st.st_mode))
    return;
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *child = g_build_filename (rel, g_ptr_array_index (names, i), NULL);
    snapshot_into (out, root, child);
  }
}

char *
bs_snapshot_tree (const char *root)
{
  GString *out = g_string_new (NULL);
  snapshot_into (out, root, ".");
  return g_string_free (out, FALSE);
}

void
bs_flip_byte (const char *path, gsize offset)
{
  struct stat st;
  cr_assert_eq (stat (path, &st), 0);
  int fd = open (path, O_RDWR);
  cr_assert (fd >= 0, "open %s: %s", path, g_strerror (errno));
  char c;
  cr_assert_eq (pread (fd, &c, 1, offset), 1);
  c ^= 0x20;
  cr_assert_eq (pwrite (fd, &c, 1, offset), 1);
  close (fd);
  struct timespec ts[2] = { st.st_atim, st.st_mtim };
  utimensat (AT_FDCWD, path, ts, 0);
}

void
bs_edit_manifest (const char *dir, const char *from, const char *to)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL));
  cr_assert_not_null (strstr (text, from), "manifest has no %s", from);
  g_auto(GStrv) parts = g_strsplit (text, from, 2);
  g_autofree char *edited = g_strjoin (to, parts[0], parts[1], NULL);
  cr_assert (g_file_set_contents (path, edited, -1, NULL));
  bs_reseal_manifest (dir);
}

/* The lines of a version 4 manifest, without the closing line (NULL for
 * a version 1-3 document). */
static GPtrArray *
manifest_lines (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL));
  if (strstr (text, "\n{\"end\":") == NULL)
    return NULL;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; lines[i] != NULL && !g_str_has_prefix (lines[i], "{\"end\":"); i++)
    g_ptr_array_add (out, g_strdup (lines[i]));
  return out;
}

void
bs_reseal_manifest (const char *dir)
{
  g_autoptr(GPtrArray) lines = manifest_lines (dir);
  if (lines == NULL)
    return;
  g_autoptr(GString) text = g_string_new (NULL);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) lines->pdata[i]);
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text->str, text->len);
  g_string_append_printf (text, "{\"end\":{\"entries\":%u,\"sha256\":\"%s\"}}\n",
                          lines->len - 1, sha);
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  cr_assert (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

/* Before version 5 every file had the SHA-256 of its bytes: an entry
 * line's piece digest becomes the SHA-256 of its stored file. */
static char *
plain_digest_line (const char *dir, const char *line)
{
  json_object *obj = json_tokener_parse (line), *stored = NULL;
  cr_assert_not_null (obj, "%s", line);
  if (!json_object_object_get_ex (obj, "sha256_tree", NULL) ||
      !json_object_object_get_ex (obj, "stored", &stored)) {
    json_object_put (obj);
    return g_strdup (line);
  }
  g_autofree char *path = g_build_filename (dir, json_object_get_string (stored), NULL);
  g_autofree char *sha = vss_test_sha256_of_file (path);
  json_object_object_del (obj, "sha256_tree");
  json_object_object_add (obj, "sha256", json_object_new_string (sha));
  char *out = g_strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (obj);
  return out;
}

static void
plain_digests (const char *dir, GPtrArray *lines)
{
  for (guint i = 1; i < lines->len; i++) {
    char *plain = plain_digest_line (dir, lines->pdata[i]);
    g_free (lines->pdata[i]);
    lines->pdata[i] = plain;
  }
}

void
bs_manifest_to_version_4 (const char *dir)
{
  g_autoptr(GPtrArray) lines = manifest_lines (dir);
  cr_assert_not_null (lines, "%s has no manifest of lines", dir);
  plain_digests (dir, lines);
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) lines->pdata[i]);
  g_string_append (text, "{\"end\":{}}\n");   /* written anew by the reseal */
  cr_assert (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  bs_edit_manifest (dir, "\"version\":5", "\"version\":4");   /* and reseals */
}

void
bs_manifest_to_document (const char *dir, int version)
{
  g_autoptr(GPtrArray) lines = manifest_lines (dir);
  cr_assert_not_null (lines, "%s has no manifest of lines", dir);
  plain_digests (dir, lines);
  const char *header = lines->pdata[0];
  g_autoptr(GString) text = g_string_new_len (header, (gssize) strlen (header) - 1);
  g_string_append (text, ",\"entries\":[");
  for (guint i = 1; i < lines->len; i++)
    g_string_append_printf (text, "%s\n%s", i == 1 ? "" : ",", (const char *) lines->pdata[i]);
  g_string_append (text, "\n]}\n");
  g_autofree char *v4 = g_strdup ("\"version\":5");
  g_autofree char *vn = g_strdup_printf ("\"version\":%d", version);
  g_auto(GStrv) parts = g_strsplit (text->str, v4, 2);
  cr_assert_not_null (parts[1]);
  g_autofree char *document = g_strjoin (vn, parts[0], parts[1], NULL);
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  cr_assert (g_file_set_contents (path, document, -1, NULL));
}
