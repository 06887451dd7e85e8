/* crash-on-load — an ELF constructor that dies of SIGSEGV: the module
 * crashes whatever process maps it, before any libvss check can run. */
#include "test-writer-common.h"

#include <signal.h>

TEST_WRITER_PLAIN_HOOK

__attribute__ ((constructor)) static void
crash_when_mapped (void)
{
  raise (SIGSEGV);
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000007", "crash-on-load",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
