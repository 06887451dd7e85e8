/* fuzz-set-libfuzzer.c — the backup-set fuzzer for libFuzzer (built with
 * clang only): the first byte picks the document (fuzz-set.h), the rest
 * replaces it.  The custom mutator starts from the seed documents and
 * applies the JSON-aware mutations of fuzz-mutate.c, so inputs stay
 * close enough to a set to reach verify and restore.  Build the library
 * instrumented too and run:
 *   CC=clang meson setup build-fuzz -Dc_args=-fsanitize=fuzzer-no-link
 *   ninja -C build-fuzz tests/fuzz/fuzz-backup-set
 *   build-fuzz/tests/fuzz/fuzz-backup-set -max_total_time=60 CORPUS_DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-mutate.h"
#include "fuzz-set.h"

static FuzzSet *fuzz;

static void
cleanup (void)
{
  fuzz_set_free (fuzz);
}

static FuzzSet *
get_fuzz (void)
{
  if (fuzz == NULL) {
    fuzz = fuzz_set_new ();
    atexit (cleanup);
  }
  return fuzz;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  fuzz_set_run (get_fuzz (), data[0] % FUZZ_DOC_COUNT, data + 1, size - 1);
  return 0;
}

size_t
LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  FuzzDoc doc = size > 0 ? data[0] % FUZZ_DOC_COUNT : g_rand_int_range (rand, 0, FUZZ_DOC_COUNT);
  /* Mutate the input when it is still JSON, else its seed document. */
  g_autofree char *text = size > 1 ? g_strndup ((const char *) data + 1, size - 1) : NULL;
  const char *base = text != NULL && g_rand_int_range (rand, 0, 8) != 0
                         ? text : fuzz_set_seed (get_fuzz (), doc);
  gsize len = 0;
  g_autofree char *mutated = fuzz_mutate (rand, base, &len);
  g_rand_free (rand);
  if (max_size < 1)
    return 0;
  len = MIN (len, max_size - 1);
  data[0] = (uint8_t) doc;
  memcpy (data + 1, mutated, len);
  return len + 1;
}
