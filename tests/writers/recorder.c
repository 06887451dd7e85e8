/* recorder — records every event and does nothing else. */
#include "test-writer-common.h"

const gboolean test_writer_with_db = TRUE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000001", "recorder",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
