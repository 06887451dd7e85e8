/* hang-on-load — an ELF constructor that never returns: the module hangs
 * whatever process maps it, before any libvss check can run. */
#include "test-writer-common.h"

#include <unistd.h>

TEST_WRITER_PLAIN_HOOK

__attribute__ ((constructor)) static void
hang_when_mapped (void)
{
  for (;;)
    pause ();
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000008", "hang-on-load",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
