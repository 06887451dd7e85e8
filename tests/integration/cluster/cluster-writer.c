/* cluster-writer — a test writer for the cluster tests, one per "host".
 *
 * freeze: sleeps $VSS_TEST_FREEZE_DELAY_MS (a writer slow to quiesce),
 *   takes an exclusive flock on $VSS_TEST_LOCK_FILE (the mover of
 *   the consistency test takes it around every transfer, so a frozen
 *   host holds the mover off), then sleeps $VSS_TEST_FREEZE_SLEEP_MS;
 * thaw / abort: releases the lock.
 * Each of freeze, thaw and abort writes "<event> <wall-clock µs>" to
 * $VSS_TEST_STATE_FILE, so a test sees whether the writer is frozen and
 * when it was released. */
#include "test-writer-common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

const gboolean test_writer_with_db = FALSE;

static int lock_fd = -1;

static void
write_state (const char *event)
{
  const char *path = g_getenv ("VSS_TEST_STATE_FILE");
  if (path == NULL)
    return;
  g_autofree char *line = g_strdup_printf ("%s %" G_GINT64_FORMAT "\n", event, g_get_real_time ());
  g_file_set_contents (path, line, -1, NULL);
}

/* Waits at most 5 s for the mover to finish its transfer. */
static gboolean
take_lock (void)
{
  const char *path = g_getenv ("VSS_TEST_LOCK_FILE");
  if (path == NULL)
    return TRUE;
  lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  for (int tries = 0; lock_fd >= 0 && tries < 5000; tries++) {
    if (flock (lock_fd, LOCK_EX | LOCK_NB) == 0)
      return TRUE;
    g_usleep (1000);
  }
  return FALSE;
}

static void
release_lock (void)
{
  if (lock_fd >= 0)
    close (lock_fd);    /* drops the flock */
  lock_fd = -1;
}

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  if (g_str_equal (event, "freeze")) {
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_FREEZE_DELAY_MS", 0) * 1000);
    if (!take_lock ()) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "the mover held its lock for 5 s");
      return FALSE;
    }
    write_state ("freeze");
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_FREEZE_SLEEP_MS", 0) * 1000);
  } else if (g_str_equal (event, "thaw") || g_str_equal (event, "abort")) {
    release_lock ();
    write_state (event);
  }
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-0000000000c1", "cluster",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
