/* test-snapshot-lock.c — one snapshot set in creation per machine. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss-error.h>

#include "coordinator/vss-snapshot-lock.h"
#include "util/vss-paths.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (lock, .init = setup, .fini = teardown);

static char *
lock_file (void)
{
  return g_build_filename (vss_paths_runtime_dir (), "snapshot-set.lock", NULL);
}

Test (lock, acquire_records_the_holder_and_release_clears_it)
{
  g_autoptr(GError) error = NULL;
  VssSnapshotLock *lock = vss_snapshot_lock_acquire ("set-1", &error);
  cr_assert_not_null (lock, "%s", error ? error->message : "");
  g_autofree char *path = lock_file ();
  g_autofree char *info = vss_test_read_file (path);
  g_autofree char *pid_line = g_strdup_printf ("pid=%d\n", (int) getpid ());
  cr_assert (g_str_has_prefix (info, pid_line), "%s", info);
  cr_assert (strstr (info, "\nprogram=") != NULL, "%s", info);
  cr_assert (g_str_has_suffix (info, "\nsnapshot_set_id=set-1\n"), "%s", info);
  vss_snapshot_lock_release (lock);
  g_autofree char *after = vss_test_read_file (path);
  cr_assert_str_eq (after, "");
}

Test (lock, second_acquire_in_the_same_process_fails)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSnapshotLock) first = vss_snapshot_lock_acquire ("set-A", &error);
  cr_assert_not_null (first);
  VssSnapshotLock *second = vss_snapshot_lock_acquire ("set-B", &error);
  cr_assert_null (second);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS));
  g_autofree char *pid = g_strdup_printf ("pid %d)", (int) getpid ());
  cr_assert (strstr (error->message, pid) != NULL, "%s", error->message);
  cr_assert (g_str_has_prefix (error->message,
                               "another snapshot set is being created (set set-A by "),
             "%s", error->message);
  cr_assert (g_str_has_suffix (error->message, "; wait for it to finish and try again"),
             "%s", error->message);
}

Test (lock, query_reports_the_holder)
{
  gint64 pid = 0;
  g_autofree char *program = NULL;
  g_autofree char *set_id = NULL;
  cr_assert_not (vss_snapshot_lock_query (&pid, &program, &set_id), "held before any acquire");

  g_autoptr(GError) error = NULL;
  VssSnapshotLock *lock = vss_snapshot_lock_acquire ("set-Q", &error);
  cr_assert_not_null (lock);
  cr_assert (vss_snapshot_lock_query (&pid, &program, &set_id));
  cr_assert_eq (pid, getpid ());
  cr_assert_not_null (program);
  cr_assert_neq (*program, '\0');
  cr_assert_str_eq (set_id, "set-Q");
  cr_assert (vss_snapshot_lock_query (NULL, NULL, NULL));
  vss_snapshot_lock_release (lock);
  cr_assert_not (vss_snapshot_lock_query (NULL, NULL, NULL), "held after release");
}

Test (lock, a_killed_holder_frees_the_lock)
{
  int ready[2];
  cr_assert_eq (pipe (ready), 0);
  pid_t child = fork ();
  cr_assert_geq (child, 0);
  if (child == 0) {
    close (ready[0]);
    VssSnapshotLock *lock = vss_snapshot_lock_acquire ("set-child", NULL);
    char ok = lock != NULL ? 'y' : 'n';
    if (write (ready[1], &ok, 1) != 1)
      _exit (2);
    for (;;)
      pause ();
  }
  close (ready[1]);
  char ok = 0;
  cr_assert_eq (read (ready[0], &ok, 1), 1);
  close (ready[0]);
  cr_assert_eq (ok, 'y', "the child could not take the lock");

  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_snapshot_lock_acquire ("set-parent", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS));
  g_autofree char *names = g_strdup_printf ("set set-child by ");
  g_autofree char *pid = g_strdup_printf ("pid %d)", (int) child);
  cr_assert (strstr (error->message, names) != NULL, "%s", error->message);
  cr_assert (strstr (error->message, pid) != NULL, "%s", error->message);
  g_clear_error (&error);

  cr_assert_eq (kill (child, SIGKILL), 0);
  int status = 0;
  cr_assert_eq (waitpid (child, &status, 0), child);
  cr_assert (WIFSIGNALED (status));

  g_autoptr(VssSnapshotLock) lock = vss_snapshot_lock_acquire ("set-parent", &error);
  cr_assert_not_null (lock, "%s", error ? error->message : "");
}
