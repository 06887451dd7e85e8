/* short-freeze — a recorder whose descriptor allows only 300 ms from
 * freeze to thaw. */
#include "test-writer-common.h"

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000004", "short-freeze",
                   VSS_UT_USERDATA, 300, TEST_WRITER_CALLBACKS)
