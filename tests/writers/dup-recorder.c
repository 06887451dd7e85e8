/* dup-recorder — the recorder's writer id under another name: a scan that
 * finds both keeps the first (by file name) and skips the other. */
#include "test-writer-common.h"

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000001", "recorder-dup",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
