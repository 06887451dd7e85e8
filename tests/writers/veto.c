/* veto — vetoes the event named by $VSS_TEST_VETO_EVENT (default "freeze")
 * with the failure named by $VSS_TEST_VETO_FAILURE (default
 * "non-retryable") and the message "vetoed at <event>". */
#include "test-writer-common.h"

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  const char *name = g_getenv ("VSS_TEST_VETO_FAILURE");
  VssWriterFailure failure = VSS_WF_NONRETRYABLE;

  if (!test_writer_env_is ("VSS_TEST_VETO_EVENT", "freeze", event))
    return TRUE;
  /* load and identify report through GError, not set_failure. */
  if (error != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE, "vetoed at %s", event);
    return FALSE;
  }
  if (name != NULL && !vss_writer_failure_from_string (name, &failure))
    g_warning ("veto: unknown VSS_TEST_VETO_FAILURE \"%s\"; using non-retryable", name);
  vss_writer_set_failure (writer, failure, "vetoed at %s", event);
  return FALSE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000002", "veto",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
