/* pause-writer — a test writer whose application is another process:
 * freeze stops it (SIGSTOP) and notes how long its data file is at that
 * instant; thaw lets it go on (SIGCONT).
 *
 * $VSS_TEST_PAUSE_PID    the process that keeps appending to the file
 * $VSS_TEST_PAUSE_FILE   its data file
 * $VSS_TEST_RECORD_DIR   frozen-size is written there at freeze, and atomic
 *                        (vss_writer_get_snapshot_is_atomic, 0 or 1)
 *
 * A stopped process has finished its last write() (signals are taken
 * between system calls), so the file is exactly what the application
 * wrote up to the freeze; a snapshot taken in the window must hold
 * exactly that. */
#include "test-writer-common.h"

#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

const gboolean test_writer_with_db = FALSE;

static gboolean
wait_stopped (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  for (int i = 0; i < 2000; i++) {
    g_autofree char *stat = NULL;
    if (!g_file_get_contents (path, &stat, NULL, NULL))
      return FALSE;
    const char *p = strrchr (stat, ')');
    if (p != NULL && p[2] == 'T')
      return TRUE;
    g_usleep (500);
  }
  return FALSE;
}

static gboolean
freeze (VssWriter *writer, pid_t pid)
{
  struct stat st;
  const char *file = g_getenv ("VSS_TEST_PAUSE_FILE");
  const char *dir = g_getenv ("VSS_TEST_RECORD_DIR");
  if (kill (pid, SIGSTOP) != 0 || !wait_stopped (pid) || file == NULL || dir == NULL ||
      stat (file, &st) != 0) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "pause: cannot stop %d", (int) pid);
    return FALSE;
  }
  g_autofree char *path = g_build_filename (dir, "frozen-size", NULL);
  g_autofree char *size = g_strdup_printf ("%lld", (long long) st.st_size);
  g_autofree char *atomic_path = g_build_filename (dir, "atomic", NULL);
  return g_file_set_contents (path, size, -1, NULL) &&
         g_file_set_contents (atomic_path, vss_writer_get_snapshot_is_atomic (writer) ? "1" : "0",
                              -1, NULL);
}

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  const char *pid_text = g_getenv ("VSS_TEST_PAUSE_PID");
  pid_t pid = pid_text != NULL ? (pid_t) g_ascii_strtoll (pid_text, NULL, 10) : 0;
  if (pid <= 0)
    return TRUE;
  if (g_str_equal (event, "freeze"))
    return freeze (writer, pid);
  if (g_str_equal (event, "thaw") || g_str_equal (event, "abort"))
    kill (pid, SIGCONT);
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000301", "pause",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
