/* slow-N (built ten times with -DSLOW_INDEX=N) — sleeps $VSS_TEST_SLOW_MS
 * (default 200) at $VSS_TEST_SLOW_EVENT (default "freeze"). */
#include "test-writer-common.h"

#ifndef SLOW_INDEX
#error "build with -DSLOW_INDEX=0…9"
#endif

#define SLOW_STR_(x) #x
#define SLOW_STR(x) SLOW_STR_ (x)

const gboolean test_writer_with_db = FALSE;

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  if (test_writer_env_is ("VSS_TEST_SLOW_EVENT", "freeze", event))
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_SLOW_MS", 200) * 1000);
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-00000000010" SLOW_STR (SLOW_INDEX),
                   "slow-" SLOW_STR (SLOW_INDEX),
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
