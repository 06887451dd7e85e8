/* test-fuzz-set.c — the backup-set fuzzer as a deterministic test of the
 * normal suite: a fixed seed, a fixed number of mutated manifests, BCDs
 * and writer metadata, each through open, verify and restore; every call
 * bounded in time and memory, nothing written outside the restore root
 * (fuzz-set.c aborts otherwise).  The seed chain itself must restore, and
 * enough mutations must get through to a restore for the write boundary
 * to be exercised. */
#include <criterion/criterion.h>

#include "fuzz-mutate.h"
#include "fuzz-set.h"

/* ~10 ms each (tmpfs): the whole test stays well under a minute, also with
 * sanitizers. */
#define ITERATIONS 800
#define SEED 20261204

Test (fuzz, mutated_sets_end_in_bounded_time_and_write_only_under_the_root, .timeout = 55)
{
  FuzzSet *f = fuzz_set_new ();
  for (guint doc = 0; doc < FUZZ_DOC_COUNT; doc++) {
    const char *seed = fuzz_set_seed (f, doc);
    cr_assert (fuzz_set_run (f, doc, (const guint8 *) seed, strlen (seed)),
               "the unmutated seed %u does not restore", doc);
  }
  GRand *rand = g_rand_new_with_seed (SEED);
  guint restored = 0;
  gint64 start = g_get_monotonic_time ();
  for (guint i = 0; i < ITERATIONS; i++) {
    FuzzDoc doc = i % FUZZ_DOC_COUNT;
    gsize len = 0;
    g_autofree char *input = fuzz_mutate (rand, fuzz_set_seed (f, doc), &len);
    restored += fuzz_set_run (f, doc, (const guint8 *) input, len);
  }
  cr_log_info ("%u inputs, %u restored something, %.1f s", ITERATIONS, restored,
               (g_get_monotonic_time () - start) / 1e6);
  cr_assert_gt (restored, ITERATIONS / 10, "only %u of %u inputs got to a restore", restored,
                ITERATIONS);
  g_rand_free (rand);
  fuzz_set_free (f);
}
