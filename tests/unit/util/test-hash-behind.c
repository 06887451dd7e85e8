/* test-hash-behind.c — hashing a file while it is written, and the
 * digests the copy of a tree keeps for large files: each digest must equal
 * an independent computation (GChecksum) of the set's digest of the file's
 * bytes (vss_test_digest_of_file), holes as zeros, for sizes around the
 * read-back and copy chunk and the 4 MiB piece boundaries; a digest is
 * never handed out for a file that changed since it was recorded. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-fs-private.h"
#include "util/vss-hash-behind.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (hash_behind, .init = setup, .fini = teardown);

#define MiB (1024 * 1024)

/* Around the 1 MiB read-back unit, the 1 MiB "large file" threshold of
 * the tree copy, its 4 MiB copy chunk and the digest's 4 MiB pieces. */
static const off_t sizes[] = { 0, 1, MiB - 1, MiB, MiB + 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1,
                               8 * MiB, 9 * MiB + 4097, 17 * MiB + 3 };

static char *
tmp_path (const char *rel)
{
  return g_build_filename (tmpdir, rel, NULL);
}



static void
write_all (int fd, const guint8 *data, off_t length, off_t offset)
{
  while (length > 0) {
    ssize_t n = pwrite (fd, data, (size_t) MIN (length, (off_t) 65536), offset);
    cr_assert_gt (n, 0, "%s", g_strerror (errno));
    data += n, offset += n, length -= n;
  }
}

Test (hash_behind, digest_equals_sha256_of_a_file_written_in_odd_steps)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *path = tmp_path ("written");
    int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq (fd, 0);
    g_autofree guint8 *data = vss_test_pattern (sizes[i], i);
    VssHashBehind *hash = vss_hash_behind_start (fd);
    for (off_t done = 0; done < sizes[i];) {
      off_t step = MIN (sizes[i] - done, (off_t) 777777);   /* no chunk boundary */
      write_all (fd, data + done, step, done);
      done += step;
      vss_hash_behind_publish (hash, done);
    }
    char digest[65];
    cr_assert (vss_hash_behind_finish (hash, sizes[i], digest), "size %jd", (intmax_t) sizes[i]);
    g_autofree char *expected = vss_test_digest_of_file (path);
    cr_assert_str_eq (digest, expected, "size %jd", (intmax_t) sizes[i]);
    close (fd);
  }
}

/* Written out behind the writes as the set writer does (sync_file_range),
 * through the file position: the hash threads must not move it (an
 * lseek (SEEK_DATA) of theirs once did, scrambling images over 4 MiB);
 * and a hole the writer published is not read. */
Test (hash_behind, a_file_written_out_behind_keeps_its_digest)
{
  const off_t size = 48 * MiB + 5;
  g_autofree char *path = tmp_path ("behind");
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cr_assert_geq (fd, 0);
  g_autofree guint8 *data = vss_test_pattern (size, 11);
  VssHashBehind *hash = vss_hash_behind_start (fd);
  off_t flushed = 0;
  const off_t hole_at = 20 * MiB, hole_end = 29 * MiB;   /* two whole pieces inside */
  for (off_t done = 0; done < size;) {
    if (done == hole_at) {
      vss_hash_behind_publish_hole (hash, hole_at, hole_end);
      memset (data + hole_at, 0, hole_end - hole_at);
      done = hole_end;
      cr_assert_eq (lseek (fd, done, SEEK_SET), done);
      continue;
    }
    off_t step = MIN (MIN (size, done < hole_at ? hole_at : size) - done, (off_t) MiB);
    cr_assert_eq (lseek (fd, 0, SEEK_CUR), done);
    cr_assert_eq (write (fd, data + done, (size_t) step), step);
    vss_fs_write_behind (fd, done, step, &flushed);
    done += step;
    vss_hash_behind_publish (hash, done);
  }
  char digest[65];
  cr_assert (vss_hash_behind_finish (hash, size, digest));
  g_autofree char *expected = vss_test_digest_of_file (path);
  cr_assert_str_eq (digest, expected);
  close (fd);
}

Test (hash_behind, holes_are_hashed_as_zeros)
{
  g_autofree char *path = tmp_path ("sparse");
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cr_assert_geq (fd, 0);
  g_autofree guint8 *data = vss_test_pattern (MiB, 7);
  VssHashBehind *hash = vss_hash_behind_start (fd);
  write_all (fd, data, 4096, 0);
  write_all (fd, data, MiB, 5 * MiB);   /* a hole of almost 5 MiB before it */
  vss_hash_behind_publish (hash, 6 * MiB);
  cr_assert_eq (ftruncate (fd, 8 * MiB), 0);   /* and a trailing one */
  char digest[65];
  cr_assert (vss_hash_behind_finish (hash, 8 * MiB, digest));
  g_autofree char *expected = vss_test_digest_of_file (path);
  cr_assert_str_eq (digest, expected);
  close (fd);
}

Test (hash_behind, a_file_shorter_than_its_size_gives_no_digest)
{
  g_autofree char *path = tmp_path ("short");
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_autofree guint8 *data = vss_test_pattern (MiB, 3);
  write_all (fd, data, MiB, 0);
  VssHashBehind *hash = vss_hash_behind_start (fd);
  vss_hash_behind_publish (hash, MiB / 2);
  cr_assert_eq (ftruncate (fd, MiB / 4), 0);   /* shrunk under the hasher */
  char digest[65] = "untouched";
  cr_assert_not (vss_hash_behind_finish (hash, MiB, digest));
  cr_assert_str_eq (digest, "untouched");
  vss_hash_behind_cancel (NULL);
  close (fd);
}

/* ---- the tree copy with remember_digests ---- */

static char *
put_pattern_file (const char *dir, const char *name, off_t size, guint seed)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *data = vss_test_pattern (size, seed);
  g_autoptr(GError) error = NULL;
  cr_assert (g_file_set_contents (path, (const char *) data, size, &error), "%s",
             error ? error->message : "");
  return path;
}

static gboolean
take_digest (const char *path, char out[65])
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  cr_assert_geq (fd, 0, "%s", path);
  gboolean found = vss_hash_digests_take (fd, out);
  close (fd);
  return found;
}

static char *
copy_with_digests (const char *src)
{
  char *dst = tmp_path ("staged");
  VssFsCopyOptions options = { .remember_digests = TRUE, .write_behind = TRUE };
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree_full (src, dst, &options, &error), "%s", error ? error->message : "");
  return dst;
}

Test (hash_behind, copy_tree_remembers_the_digest_of_each_large_file)
{
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *name = g_strdup_printf ("f%u", i);
    g_free (put_pattern_file (src, name, sizes[i], i));
  }
  g_autofree char *sparse = g_build_filename (src, "sparse", NULL);
  int fd = open (sparse, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_autofree guint8 *data = vss_test_pattern (MiB, 9);
  write_all (fd, data, MiB, 6 * MiB);
  cr_assert_eq (ftruncate (fd, 11 * MiB), 0);
  close (fd);
  g_autofree char *dst = copy_with_digests (src);
  vss_test_assert_same_tree (src, dst);
  for (guint i = 0; i <= G_N_ELEMENTS (sizes); i++) {
    g_autofree char *name = i < G_N_ELEMENTS (sizes) ? g_strdup_printf ("f%u", i)
                                                     : g_strdup ("sparse");
    g_autofree char *copy = g_build_filename (dst, name, NULL);
    struct stat st;
    cr_assert_eq (stat (copy, &st), 0);
    char digest[65];
    gboolean found = take_digest (copy, digest);
    cr_assert_eq (found, st.st_size >= MiB, "%s (%jd bytes): digest %s", name,
                  (intmax_t) st.st_size, found ? "kept for a small file" : "missing");
    if (found) {
      g_autofree char *expected = vss_test_digest_of_file (copy);
      cr_assert_str_eq (digest, expected, "%s", name);
      cr_assert_not (take_digest (copy, digest), "%s: a digest is handed out once", name);
    }
  }
}

Test (hash_behind, a_staged_file_changed_since_gets_no_digest)
{
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_free (put_pattern_file (src, "big", 2 * MiB, 1));
  g_autofree char *dst = copy_with_digests (src);
  g_autofree char *copy = g_build_filename (dst, "big", NULL);
  struct stat before;
  cr_assert_eq (stat (copy, &before), 0);
  /* One byte changed, size and mtime put back: only the ctime tells. */
  int fd = open (copy, O_WRONLY | O_CLOEXEC);
  cr_assert_eq (pwrite (fd, "X", 1, MiB), 1);
  struct timespec times[2] = { before.st_atim, before.st_mtim };
  cr_assert_eq (futimens (fd, times), 0);
  close (fd);
  char digest[65];
  cr_assert_not (take_digest (copy, digest), "the digest of the data before the change");
}

/* A file removed from the source once its data were copied (a live tree)
 * is copied as before, and its digest is that of the copy. */
static void
vanish_after_data (const char *src)
{
  if (g_str_has_suffix (src, "/victim"))
    cr_assert_eq (unlink (src), 0, "%s: %s", src, g_strerror (errno));
}

Test (hash_behind, a_file_vanishing_during_the_copy_keeps_a_true_digest)
{
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_free (put_pattern_file (src, "victim", 3 * MiB, 5));
  vss_fs_copy_tree_set_test_hook (vanish_after_data);
  g_autofree char *dst = copy_with_digests (src);
  vss_fs_copy_tree_set_test_hook (NULL);
  g_autofree char *copy = g_build_filename (dst, "victim", NULL);
  char digest[65];
  cr_assert (take_digest (copy, digest));
  g_autofree char *expected = vss_test_digest_of_file (copy);
  cr_assert_str_eq (digest, expected);
}

/* A copy that fails part way through a large file (its deadline passes:
 * 64 MiB take well over the 2 ms allowed) leaves nothing under the
 * target's name, and the hashing thread is stopped. */
Test (hash_behind, a_copy_failing_in_a_large_file_leaves_nothing)
{
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_free (put_pattern_file (src, "big", 64 * MiB, 2));
  g_autofree char *dst = tmp_path ("staged");
  VssFsCopyOptions options = { .remember_digests = TRUE, .write_behind = TRUE,
                               .deadline_usec = g_get_monotonic_time () + 2000 };
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree_full (src, dst, &options, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT), "%s", error->message);
  cr_assert_not (g_file_test (dst, G_FILE_TEST_EXISTS), "a partial copy was left");
}
