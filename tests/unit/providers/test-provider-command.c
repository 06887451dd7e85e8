/* test-provider-command.c — the runner of the fsfreeze provider's command
 * (vss-provider-command.c): output, status, and the deadline. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "providers/vss-provider-command.h"

static VssCommandResult
run_sh (const char *script, guint limit_ms)
{
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  VssCommandResult result;
  g_autoptr(GError) error = NULL;
  cr_assert (vss_command_run (argv, NULL, g_get_monotonic_time () + (gint64) limit_ms * 1000,
                              NULL, NULL, &result, &error), "%s", error ? error->message : "");
  return result;
}

Test (command, stdout_and_the_tail_of_stderr_are_kept_apart)
{
  VssCommandResult r = run_sh ("echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 3", 5000);
  cr_assert_not (r.timed_out);
  cr_assert (WIFEXITED (r.wait_status) && WEXITSTATUS (r.wait_status) == 3);
  cr_assert_str_eq (r.out, "out1\nout2\n");
  cr_assert_str_eq (r.err_tail, "err1 | err2");
  g_autofree char *how = vss_command_describe_status (&r);
  cr_assert_str_eq (how, "exited with status 3");
  vss_command_result_clear (&r);
}

Test (command, ends_when_the_command_exits_even_if_a_child_keeps_its_output)
{
  gint64 start = g_get_monotonic_time ();
  VssCommandResult r = run_sh ("sleep 5 & echo /done", 4000);
  gint64 ms = (g_get_monotonic_time () - start) / 1000;
  cr_assert_not (r.timed_out);
  cr_assert_lt (ms, 1000, "waited %" G_GINT64_FORMAT " ms for a background child", ms);
  cr_assert_str_eq (r.out, "/done\n");
  vss_command_result_clear (&r);
}

static void
note_group (pid_t pgid, gpointer data)
{
  *(pid_t *) data = pgid;
}

Test (command, the_deadline_kills_the_whole_process_group)
{
  g_autofree char *pid_file = g_strdup_printf ("/tmp/vss-command-test-%d", (int) getpid ());
  g_autofree char *script = g_strdup_printf ("sleep 30 & echo $! > %s; wait", pid_file);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  VssCommandResult r;
  pid_t group = 0;
  gint64 start = g_get_monotonic_time ();
  cr_assert (vss_command_run (argv, NULL, start + 300000, note_group, &group, &r, NULL));
  gint64 ms = (g_get_monotonic_time () - start) / 1000;
  cr_assert (r.timed_out);
  cr_assert (ms >= 290 && ms < 2000, "took %" G_GINT64_FORMAT " ms", ms);
  cr_assert_gt (group, 0, "the started callback was not called");
  g_autofree char *description = vss_command_describe_status (&r);
  cr_assert (strstr (description, "deadline") != NULL, "%s", description);

  /* The background sleep was in the group: killed too (a zombie at worst,
   * when no init reaps it). */
  g_autofree char *pid_text = NULL;
  cr_assert (g_file_get_contents (pid_file, &pid_text, NULL, NULL));
  unlink (pid_file);
  pid_t sleeper = (pid_t) g_ascii_strtoll (pid_text, NULL, 10);
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) sleeper);
  gboolean gone = FALSE;
  for (int i = 0; i < 1000 && !gone; i++) {
    g_autofree char *stat = NULL;
    const char *p = g_file_get_contents (stat_path, &stat, NULL, NULL) ? strrchr (stat, ')') : NULL;
    gone = p == NULL || p[2] == 'Z';
    if (!gone)
      g_usleep (1000);
  }
  cr_assert (gone, "the command's child %d survived the deadline", (int) sleeper);
  vss_command_result_clear (&r);
}

Test (command, a_missing_program_is_an_error_not_a_status)
{
  const char *argv[] = { "/nonexistent/snapshot-tool", "create", NULL };
  VssCommandResult r;
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_command_run (argv, NULL, g_get_monotonic_time () + G_USEC_PER_SEC, NULL, NULL,
                                  &r, &error));
  cr_assert_not_null (error);
}
