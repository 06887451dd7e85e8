/* failing-load — a valid module whose on_load fails; every event then
 * answers "failing-load: load: refused to load (test writer)". */
#include "test-writer-common.h"

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  if (g_str_equal (event, "load")) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE,
                 "refused to load (test writer)");
    return FALSE;
  }
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000005", "failing-load",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
