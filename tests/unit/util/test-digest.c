/* test-digest.c — the digest of a file's data (util/vss-digest.c), fed in
 * order: equal to an independent computation (GChecksum) whatever the
 * sizes of the updates, holes given as zeros equal to zero bytes, and the
 * plain form always the SHA-256 of the bytes. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>

#include "util/vss-digest.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (digest, .init = setup, .fini = teardown);

#define MiB (1024 * 1024)


/* The expected digest, from a file holding @data. */
static char *
expected_digest (const guint8 *data, gsize size)
{
  g_autofree char *path = g_build_filename (tmpdir, "expected", NULL);
  cr_assert (g_file_set_contents (path, (const char *) data, (gssize) size, NULL));
  return vss_test_digest_of_file (path);
}

static const gsize sizes[] = { 0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 8 * MiB, 13 * MiB + 7 };
static const gsize steps[] = { 1 * MiB, 777777, 4 * MiB, 5 * MiB + 3 };

Test (digest, fed_in_any_steps_equals_the_set_digest)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree guint8 *data = vss_test_pattern (sizes[i], i);
    g_autofree char *expected = expected_digest (data, sizes[i]);
    for (guint s = 0; s < G_N_ELEMENTS (steps); s++) {
      g_autoptr(VssDigest) d = vss_digest_new (TRUE);
      for (gsize at = 0; at < sizes[i]; at += steps[s])
        vss_digest_update (d, data + at, MIN (steps[s], sizes[i] - at));
      char out[65];
      vss_digest_finish (d, out);
      cr_assert_str_eq (out, expected, "size %zu in steps of %zu", sizes[i], steps[s]);
    }
  }
}

Test (digest, holes_hash_as_zero_bytes)
{
  /* data, a hole over whole and partial pieces, data */
  const gsize size = 14 * MiB + 5, hole_at = 3 * MiB + 1, hole_len = 9 * MiB;
  g_autofree guint8 *data = vss_test_pattern (size, 7);
  memset (data + hole_at, 0, hole_len);
  g_autofree char *expected = expected_digest (data, size);
  g_autoptr(VssDigest) d = vss_digest_new (TRUE);
  vss_digest_update (d, data, hole_at);
  vss_digest_update_zeros (d, hole_len);
  vss_digest_update (d, data + hole_at + hole_len, size - hole_at - hole_len);
  char out[65];
  vss_digest_finish (d, out);
  cr_assert_str_eq (out, expected);
  /* a hole from a piece boundary, the known zero piece */
  g_autoptr(VssDigest) z = vss_digest_new (TRUE);
  vss_digest_update_zeros (z, 12 * MiB);
  vss_digest_finish (z, out);
  g_autofree guint8 *zeros = g_malloc0 (12 * MiB);
  g_autofree char *zero_expected = expected_digest (zeros, 12 * MiB);
  cr_assert_str_eq (out, zero_expected);
}

Test (digest, plain_form_is_the_sha256_of_the_bytes)
{
  g_autofree guint8 *data = vss_test_pattern (9 * MiB, 3);
  g_autoptr(VssDigest) d = vss_digest_new (FALSE);
  vss_digest_update (d, data, 5 * MiB);
  vss_digest_update_zeros (d, 0);
  vss_digest_update (d, data + 5 * MiB, 4 * MiB);
  char out[65];
  vss_digest_finish (d, out);
  g_autofree char *sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, 9 * MiB);
  cr_assert_str_eq (out, sha);
  g_autofree char *tree = expected_digest (data, 9 * MiB);
  cr_assert_str_neq (out, tree, "a file above one piece has two different digests");
}
