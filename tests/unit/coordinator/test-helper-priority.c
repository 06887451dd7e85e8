/* test-helper-priority.c — a writer helper runs at background CPU
 * priority, except from freeze through thaw, when it runs at the
 * coordinator's: its loading and its prepare work go behind the
 * applications', its freeze window does not (root only: a nice value
 * cannot be raised back without it). */
#include "lifecycle-fixture.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

TestSuite (helper_priority, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

/* The nice value the recorder's serving thread had at @event, or 99. */
static int
nice_at (const char *event)
{
  g_autofree char *path = g_build_filename (fx.record_dir, "recorder.nice", NULL);
  g_autofree char *contents = vss_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto(GStrv) words = g_strsplit (lines[i], " ", 3);   /* event nice tid usec */
    if (g_strv_length (words) >= 2 && g_str_equal (words[0], event))
      return (int) g_ascii_strtoll (words[1], NULL, 10);
  }
  return 99;
}

static void
backup_once (void)
{
  g_autoptr(VssBackupComponents) bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  fx_add_all (bc);
  g_autofree char *id = fx_prepare (bc);
  fx_do_snapshot (bc);
  fx_complete (bc);
}

Test (helper_priority, background_but_for_freeze_and_thaw)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root: a helper's nice value is raised back for the freeze");
  g_unsetenv ("VSS_COPY_PRIORITY");
  errno = 0;
  int ours = getpriority (PRIO_PROCESS, 0);
  cr_assert_eq (errno, 0);
  cr_assert_lt (ours, 10, "the test itself runs at nice %d", ours);
  backup_once ();
  cr_assert_eq (nice_at ("prepare_snapshot"), 10, "prepare_snapshot ran at nice %d",
                nice_at ("prepare_snapshot"));
  cr_assert_eq (nice_at ("post_snapshot"), 10, "post_snapshot ran at nice %d",
                nice_at ("post_snapshot"));
  cr_assert_eq (nice_at ("freeze"), ours, "freeze ran at nice %d, the coordinator at %d",
                nice_at ("freeze"), ours);
  cr_assert_eq (nice_at ("thaw"), ours, "thaw ran at nice %d, the coordinator at %d",
                nice_at ("thaw"), ours);
}

/* --copy-priority normal: the helpers keep the coordinator's priority. */
Test (helper_priority, normal_keeps_the_coordinators)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root: a helper's nice value is raised back for the freeze");
  g_setenv ("VSS_COPY_PRIORITY", "normal", TRUE);
  int ours = getpriority (PRIO_PROCESS, 0);
  backup_once ();
  cr_assert_eq (nice_at ("prepare_snapshot"), ours);
  cr_assert_eq (nice_at ("freeze"), ours);
  g_unsetenv ("VSS_COPY_PRIORITY");
}
