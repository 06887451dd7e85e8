/* fuzz-set-libfuzzer.c — the backup-set fuzzer for libFuzzer (built with
 * clang only): the first byte picks the document (fuzz-set.h), the rest
 * replaces it.  Run: build/tests/fuzz/fuzz-backup-set -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-set.h"

static FuzzSet *fuzz;

static void
cleanup (void)
{
  fuzz_set_free (fuzz);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (fuzz == NULL) {
    fuzz = fuzz_set_new ();
    atexit (cleanup);
  }
  if (size < 1)
    return 0;
  fuzz_set_run (fuzz, data[0] % FUZZ_DOC_COUNT, data + 1, size - 1);
  return 0;
}
