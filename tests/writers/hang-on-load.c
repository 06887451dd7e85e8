/* hang-on-load — an ELF constructor that never returns: the module hangs
 * whatever process maps it, before any libvss check can run. */
#include "test-writer-common.h"

#include <unistd.h>

const gboolean test_writer_with_db = FALSE;

__attribute__ ((constructor)) static void
hang_when_mapped (void)
{
  for (;;)
    pause ();
}

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  (void) writer;
  (void) event;
  (void) error;
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000008", "hang-on-load",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
