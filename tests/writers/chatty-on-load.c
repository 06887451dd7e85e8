/* chatty-on-load — an ELF constructor that writes to stdout, as a
 * library with a noisy initializer might: the probe's answer must still
 * come back whole. */
#include "test-writer-common.h"

#include <stdio.h>

TEST_WRITER_PLAIN_HOOK

__attribute__ ((constructor)) static void
chat_when_mapped (void)
{
  fputs ("{\"hello\": \"not the answer\"}\nsome noise\n", stdout);
  fflush (stdout);
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000009", "chatty-on-load",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
