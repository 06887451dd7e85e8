/* hang — sleeps $VSS_TEST_HANG_MS (default 5000) at $VSS_TEST_HANG_EVENT
 * (default "freeze"), then succeeds. */
#include "test-writer-common.h"

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  if (test_writer_env_is ("VSS_TEST_HANG_EVENT", "freeze", event))
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_HANG_MS", 5000) * 1000);
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000003", "hang",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
