/* test-add-stream.c — a writer image as the set reads it
 * (vss_backup_set_writer_add_stream), fed crafted streams of parts over a
 * socket pair: bytes and ranges of files passed by descriptor are stored
 * exactly, with the digest of what was stored; every stream the checks
 * must refuse (a range past its file's end, a descriptor that is not a
 * regular file or is missing, a header that is not one, parts past the
 * declared size, a stream that ends short, a file that shrinks while it
 * is copied) fails and adds nothing.  Pieces of the stored file straddle
 * the parts, at no block boundary: stored the same with O_DIRECT and
 * without. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-test.h"
#include "util/vss-fs.h"
#include "util/vss-image-parts.h"
#include "util/vss-piece-writer.h"

TestSuite (add_stream, .init = bs_setup, .fini = bs_teardown);

#define ORIGINAL "/srv/db/data.mdb"

typedef struct {
  int sock[2];                  /* [0] read by the set, [1] written here */
  VssBackupSetWriter *set;
  char *dir;
} Stream;

static void
stream_open (Stream *s)
{
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sock), 0);
  s->dir = bs_path ("set");
  g_autoptr(GError) error = NULL;
  s->set = vss_backup_set_writer_new (s->dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (s->set, "%s", error ? error->message : "");
}

static void
stream_close (Stream *s)
{
  if (s->sock[0] >= 0)
    close (s->sock[0]);
  if (s->sock[1] >= 0)
    close (s->sock[1]);
  vss_backup_set_writer_free (s->set);
  g_free (s->dir);
}

static void
send_bytes (Stream *s, const void *bytes, gsize length)
{
  VssImagePart part = { VSS_IMAGE_PART_BYTES, 0, length, -1 };
  cr_assert (vss_image_part_send_header (s->sock[1], &part));
  cr_assert (vss_fs_write_all (s->sock[1], bytes, length));
}

static void
send_range (Stream *s, int fd, guint64 offset, guint64 length)
{
  VssImagePart part = { VSS_IMAGE_PART_FILE, offset, length, fd };
  cr_assert (vss_image_part_send_header (s->sock[1], &part), "%s", g_strerror (errno));
}

/* The stream ends; the set reads it as an image of @size bytes. */
static gboolean
add (Stream *s, guint64 size, GError **error)
{
  shutdown (s->sock[1], SHUT_WR);
  return vss_backup_set_writer_add_stream (s->set, "db/x", s->sock[0], size, ORIGINAL, error);
}

/* A file of @size deterministic bytes; its descriptor. */
static int
pattern_file (const char *name, gsize size, char **out_path)
{
  g_autofree guint8 *data = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 2654435761u >> 13);
  *out_path = bs_path (name);
  cr_assert (g_file_set_contents (*out_path, (const char *) data, (gssize) size, NULL));
  int fd = open (*out_path, O_RDONLY | O_CLOEXEC);
  cr_assert_geq (fd, 0);
  return fd;
}

static gboolean
take_sha (const VssBackupSetEntry *entry, gpointer user_data)
{
  *(char **) user_data = g_strdup (entry->sha256);
  return TRUE;
}

/* The committed set holds @expected (@size bytes) as the image, with the
 * digest of the stored file. */
static void
assert_stored (Stream *s, const char *expected, gsize size)
{
  g_autofree char *stored = g_build_filename (s->dir, "files", "0", ORIGINAL, NULL);
  g_autofree char *got = NULL;
  gsize got_size = 0;
  cr_assert (g_file_get_contents (stored, &got, &got_size, NULL), "%s", stored);
  cr_assert_eq (got_size, size);
  cr_assert (memcmp (got, expected, size) == 0, "the stored image differs from its parts");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (s->dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  g_autofree char *sha = NULL;
  cr_assert (vss_backup_set_find_entry (set, "db/x", ORIGINAL, take_sha, &sha));
  g_autofree char *want = vss_test_digest_of_file (stored);
  cr_assert_str_eq (sha, want);
}

/* The stream read as an image of @size bytes, and the set committed. */
static void
add_and_commit (Stream *s, guint64 size)
{
  g_autoptr(GError) error = NULL;
  cr_assert (add (s, size, &error), "%s", error ? error->message : "");
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (s->set, bcd, &error), "%s", error ? error->message : "");
}

/* An LMDB-like image: 8 KiB of "meta pages" held by the writer, then the
 * rest of a 9 MiB file by descriptor — over two 4 MiB digest pieces. */
Test (add_stream, bytes_and_a_file_range_are_stored_exactly_with_the_digest_of_the_copy)
{
  Stream s;
  stream_open (&s);
  g_autofree char *path = NULL;
  gsize size = 9 * 1024 * 1024 + 4096;
  int fd = pattern_file ("live.mdb", size, &path);
  char metas[8192];
  memset (metas, 'M', sizeof metas);
  send_bytes (&s, metas, sizeof metas);
  send_range (&s, fd, sizeof metas, size - sizeof metas);
  close (fd);   /* the descriptor in flight stays open */
  add_and_commit (&s, size);

  g_autofree char *live = NULL;
  cr_assert (g_file_get_contents (path, &live, NULL, NULL));
  memcpy (live, metas, sizeof metas);
  assert_stored (&s, live, size);
  stream_close (&s);
}

#define MiB (1024 * 1024)

/* 5000 bytes, then a range of a file at no block boundary, over three
 * digest pieces and with a tail that fits no block: stored exactly, with
 * the digest of the stored file. */
static void
check_misaligned_range (void)
{
  Stream s;
  stream_open (&s);
  g_autofree char *path = NULL;
  int fd = pattern_file ("live.mdb", 19 * MiB, &path);
  char head[5000];
  memset (head, 'M', sizeof head);
  guint64 offset = 12345, length = 14 * MiB + 8191;
  send_bytes (&s, head, sizeof head);
  send_range (&s, fd, offset, length);
  close (fd);
  gsize size = sizeof head + length;
  add_and_commit (&s, size);

  g_autofree char *live = NULL;
  cr_assert (g_file_get_contents (path, &live, NULL, NULL));
  g_autofree char *expected = g_malloc (size);
  memcpy (expected, head, sizeof head);
  memcpy (expected + sizeof head, live + offset, length);
  assert_stored (&s, expected, size);
  stream_close (&s);
}

Test (add_stream, a_misaligned_range_after_bytes_is_stored_exactly_with_its_digest)
{
  check_misaligned_range ();
}

Test (add_stream, the_same_is_stored_where_o_direct_is_refused)
{
  vss_piece_writer_set_test_refuse_direct (TRUE);
  check_misaligned_range ();
  vss_piece_writer_set_test_refuse_direct (FALSE);
}

typedef struct {
  Stream *s;
  const guint8 *bytes;
  gsize length;
} Feed;

static gpointer
feed_bytes (gpointer data)
{
  Feed *f = data;
  VssImagePart part = { VSS_IMAGE_PART_BYTES, 0, f->length, -1 };
  gboolean ok = vss_image_part_send_header (f->s->sock[1], &part) &&
                vss_fs_write_all (f->s->sock[1], (const char *) f->bytes, f->length);
  shutdown (f->s->sock[1], SHUT_WR);
  return GINT_TO_POINTER (ok);
}

/* A large part of bytes (the certificate writer's kind), read from the
 * socket in whatever steps it arrives and across digest pieces: every
 * byte must land at its offset (once the hash threads reading the file
 * back moved the shared file position). */
Test (add_stream, a_large_part_of_bytes_lands_at_its_offsets_while_hashed_behind)
{
  Stream s;
  stream_open (&s);
  g_autofree char *path = NULL;
  gsize size = 13 * 1024 * 1024 + 100;
  int fd = pattern_file ("source", size, &path);
  close (fd);
  g_autofree char *data = NULL;
  cr_assert (g_file_get_contents (path, &data, NULL, NULL));
  Feed feed = { &s, (const guint8 *) data, size };
  GThread *feeder = g_thread_new ("feed", feed_bytes, &feed);
  g_autoptr(GError) error = NULL;
  gboolean ok = vss_backup_set_writer_add_stream (s.set, "db/x", s.sock[0], size, ORIGINAL, &error);
  close (s.sock[0]);
  s.sock[0] = -1;
  cr_assert (g_thread_join (feeder));
  cr_assert (ok, "%s", error ? error->message : "");
  g_autofree char *stored = g_strconcat (s.dir, ".partial/files/0" ORIGINAL, NULL);
  g_autofree char *got = NULL;
  gsize got_size = 0;
  cr_assert (g_file_get_contents (stored, &got, &got_size, NULL), "%s", stored);
  cr_assert_eq (got_size, size);
  cr_assert (memcmp (got, data, size) == 0, "bytes landed away from their offsets");
  stream_close (&s);
}

/* Adds nothing and fails with a message holding @what. */
static void
assert_refused (Stream *s, guint64 size, const char *what)
{
  g_autoptr(GError) error = NULL;
  cr_assert_not (add (s, size, &error), "accepted a stream that had to fail with \"%s\"", what);
  cr_assert_eq (error->code, VSS_ERROR_UNEXPECTED);
  cr_assert_not_null (strstr (error->message, what), "%s", error->message);
  g_autofree char *partial = g_strconcat (s->dir, ".partial/files/0" ORIGINAL, NULL);
  cr_assert_not (g_file_test (partial, G_FILE_TEST_EXISTS), "a refused image left %s", partial);
}

/* "head" first when @head, then the @n ranges ({offset, length}) of a
 * 10000-byte file, read as an image of @size bytes: refused with @what. */
static void
assert_ranges_refused (gboolean head, const guint64 (*ranges)[2], guint n, guint64 size,
                       const char *what)
{
  Stream s;
  stream_open (&s);
  g_autofree char *path = NULL;
  int fd = pattern_file ("live", 10000, &path);
  if (head)
    send_bytes (&s, "head", 4);
  for (guint i = 0; i < n; i++)
    send_range (&s, fd, ranges[i][0], ranges[i][1]);
  close (fd);
  assert_refused (&s, size, what);
  stream_close (&s);
}

Test (add_stream, a_range_past_the_end_of_its_file_is_refused)
{
  const guint64 ranges[][2] = { { 5000, 5001 } };
  assert_ranges_refused (FALSE, ranges, 1, 5001, "range ends past the end of its file");
}

Test (add_stream, a_descriptor_that_is_not_a_regular_file_is_refused)
{
  Stream s;
  stream_open (&s);
  int pipe_fds[2];
  cr_assert_eq (pipe (pipe_fds), 0);
  cr_assert_eq (write (pipe_fds[1], "0123456789", 10), 10);
  send_range (&s, pipe_fds[0], 0, 10);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  assert_refused (&s, 10, "not a regular file");
  stream_close (&s);
}

Test (add_stream, a_file_part_without_its_descriptor_is_refused)
{
  Stream s;
  stream_open (&s);
  /* a file part's header (the layout of vss-image-parts.c) written plainly:
   * no descriptor rides with it */
  struct { char magic[4]; guint32 kind; guint64 offset, length; } header = {
    { 'V', 'S', 'S', 'i' }, VSS_IMAGE_PART_FILE, 0, 10 };
  cr_assert (vss_fs_write_all (s.sock[1], (const char *) &header, sizeof header));
  assert_refused (&s, 10, "without its descriptor");
  stream_close (&s);
}

Test (add_stream, a_stream_that_is_not_parts_is_refused)
{
  Stream s;
  stream_open (&s);
  char raw[64];
  memset (raw, 'x', sizeof raw);
  cr_assert (vss_fs_write_all (s.sock[1], raw, sizeof raw));
  assert_refused (&s, sizeof raw, "not a stream of parts");
  stream_close (&s);
}

Test (add_stream, parts_past_the_declared_size_go_on_and_are_refused)
{
  const guint64 ranges[][2] = { { 0, 10000 } };
  assert_ranges_refused (TRUE, ranges, 1, 4 + 9999, "went on after 4 of 10003 bytes");
}

Test (add_stream, one_part_more_after_the_declared_size_is_refused)
{
  const guint64 ranges[][2] = { { 0, 10000 }, { 0, 1 } };
  assert_ranges_refused (FALSE, ranges, 2, 10000, "went on after 10000 of 10000 bytes");
}

Test (add_stream, a_stream_that_ends_short_is_refused)
{
  const guint64 ranges[][2] = { { 0, 10000 } };
  assert_ranges_refused (TRUE, ranges, 1, 20000, "ended after 10004 of 20000 bytes");
}

static char *shrinking_path;

static void
shrink_at_second_piece (guint64 piece)
{
  if (piece == 1)
    cr_assert_eq (truncate (shrinking_path, 6 * MiB), 0);
}

/* The checks passed (the range was in the file); the file lost its end
 * while the copy was at 8 MiB: the image ended early, it is no success. */
Test (add_stream, a_file_that_shrinks_during_the_copy_ended_early)
{
  Stream s;
  stream_open (&s);
  int fd = pattern_file ("shrinking", 20 * MiB, &shrinking_path);
  send_range (&s, fd, 0, 20 * MiB);
  close (fd);
  vss_piece_writer_set_test_hook (shrink_at_second_piece);
  assert_refused (&s, 20 * MiB, "ended after 8388608 of 20971520 bytes");
  vss_piece_writer_set_test_hook (NULL);
  g_clear_pointer (&shrinking_path, g_free);
  stream_close (&s);
}
