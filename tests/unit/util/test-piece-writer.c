/* test-piece-writer.c — a file written a digest piece at a time, O_DIRECT
 * and through the page cache: the stored bytes are exactly those given,
 * in steps that fit no block or piece boundary, and the digest equals an
 * independent computation of the set's digest of the stored file
 * (vss_test_digest_of_file), for sizes around the 4 MiB pieces; a failed
 * write is reported, never a digest. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/vss-piece-writer.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

static void
fini (void)
{
  vss_piece_writer_set_test_refuse_direct (FALSE);
  teardown ();
}

TestSuite (piece_writer, .init = setup, .fini = fini);

#define MiB (1024 * 1024)

/* Empty, one partial piece, exactly one and two pieces (no partial tail),
 * a tail of whole blocks, and several pieces with a tail that fits no
 * block. */
static const gsize sizes[] = { 0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 8 * MiB,
                               6 * MiB + 8192, 17 * MiB + 4097 };

/* @data written through a piece writer in steps of 1, 4095, 777777, …
 * bytes; TRUE and the digest, or FALSE with errno. */
static gboolean
write_in_odd_steps (int fd, const guint8 *data, gsize size, char out[65])
{
  static const gsize steps[] = { 1, 4095, 777777, 3 * MiB + 5 };
  VssPieceWriter *pw = vss_piece_writer_new (fd, size);
  for (gsize done = 0, i = 0; done < size; i++) {
    gsize room;
    guint8 *space = vss_piece_writer_space (pw, &room);
    cr_assert_gt (room, 0);
    gsize n = MIN (MIN (room, steps[i % G_N_ELEMENTS (steps)]), size - done);
    memcpy (space, data + done, n);
    done += n;
    if (!vss_piece_writer_commit (pw, n)) {
      int err = errno;
      vss_piece_writer_cancel (pw);
      errno = err;
      return FALSE;
    }
  }
  return vss_piece_writer_finish (pw, out);
}

static void
check_sizes (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *path = g_build_filename (tmpdir, name, NULL);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq (fd, 0);
    g_autofree guint8 *data = vss_test_pattern (sizes[i], i);
    char digest[65];
    cr_assert (write_in_odd_steps (fd, data, sizes[i], digest), "%s", g_strerror (errno));
    cr_assert_eq (close (fd), 0);
    g_autofree char *stored = NULL;
    gsize stored_size = 0;
    cr_assert (g_file_get_contents (path, &stored, &stored_size, NULL));
    cr_assert_eq (stored_size, sizes[i], "size %zu stored as %zu", sizes[i], stored_size);
    cr_assert (memcmp (stored, data, sizes[i]) == 0, "size %zu: other bytes stored", sizes[i]);
    g_autofree char *expected = vss_test_digest_of_file (path);
    cr_assert_str_eq (digest, expected, "size %zu", sizes[i]);
  }
}

Test (piece_writer, stores_the_bytes_and_their_digest_with_o_direct)
{
  check_sizes ("direct");
}

/* Buffers given back by one writer and filled again by the next (a large
 * file before small ones): each file holds its own bytes only. */
Test (piece_writer, writers_that_share_spare_buffers_store_only_their_own_bytes)
{
  vss_piece_writer_keep_spares ();
  check_sizes ("spares-1");
  check_sizes ("spares-2");
  vss_piece_writer_drop_spares ();
}

Test (piece_writer, stores_the_same_through_the_page_cache_when_o_direct_is_refused)
{
  vss_piece_writer_set_test_refuse_direct (TRUE);
  check_sizes ("buffered");
}

/* /dev/full takes no byte: the writer says so (ENOSPC), at a commit or
 * at the end, and gives no digest. */
Test (piece_writer, a_failed_write_is_reported_and_gives_no_digest)
{
  vss_piece_writer_set_test_refuse_direct (TRUE);
  int fd = open ("/dev/full", O_WRONLY | O_CLOEXEC);
  cr_assert_geq (fd, 0);
  gsize size = 9 * MiB + 3;
  g_autofree guint8 *data = vss_test_pattern (size, 1);
  char digest[65] = "untouched";
  cr_assert_not (write_in_odd_steps (fd, data, size, digest));
  cr_assert_eq (errno, ENOSPC, "%s", g_strerror (errno));
  cr_assert_str_eq (digest, "untouched");
  close (fd);
}
