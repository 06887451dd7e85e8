/* test-copy-pace.c — a copy at the idle priority paces itself: small
 * steps, and a rest as long as each step for a while after one in which
 * another thread kept it waiting for the CPU; a copy at background or
 * normal priority (or in the freeze window, never lowered) neither shortens
 * its steps nor rests. */
#include <criterion/criterion.h>

#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "util/vss-copy-pace.h"
#include "util/vss-copy-priority.h"

Test (copy_pace, the_rule_rests_only_after_a_real_wait)
{
  cr_assert_eq (vss_copy_pace_rest_us (1000, 0, G_MAXINT64), 0, "no wait, no rest");
  cr_assert_eq (vss_copy_pace_rest_us (1000, 40, G_MAXINT64), 0, "a wake-up's few µs are noise");
  cr_assert_eq (vss_copy_pace_rest_us (1000, 300, G_MAXINT64), 1000, "kept waiting: rest the step");
  cr_assert_eq (vss_copy_pace_rest_us (1000, 0, 30000), 1000, "a wait 30 ms ago: still contended");
  cr_assert_eq (vss_copy_pace_rest_us (1000, 0, 200000), 0, "a wait 200 ms ago is over");
}

Test (copy_pace, idle_paces_background_and_normal_do_not)
{
  static const struct { const char *mode; gboolean paced; } cases[] = {
    { "background", FALSE }, { "idle", TRUE }, { "normal", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_setenv ("VSS_COPY_PRIORITY", cases[i].mode, TRUE);
    VssCopyPrioritySaved saved;
    vss_copy_priority_enter (&saved);
    gsize step = vss_copy_pace_step (4 << 20);
    vss_copy_priority_leave (&saved);
    cr_assert_eq (step, cases[i].paced ? (gsize) VSS_COPY_PACE_STEP : (gsize) (4 << 20),
                  "%s: step %zu", cases[i].mode, step);
    cr_assert_eq (vss_copy_pace_step (4 << 20), (gsize) (4 << 20),
                  "%s: still paced after leave", cases[i].mode);
  }
  g_unsetenv ("VSS_COPY_PRIORITY");
}

static atomic_bool hog_stop;

static gpointer
hog (gpointer cpu_set)
{
  sched_setaffinity (0, sizeof (cpu_set_t), cpu_set);
  while (!atomic_load (&hog_stop))
    ;
  return NULL;
}

static void
spin_us (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  while (g_get_monotonic_time () < end)
    ;
}

/* The longest rest over @steps steps of ~2 ms of work each. */
static gint64
longest_rest (guint steps)
{
  gint64 longest = 0;
  for (guint i = 0; i < steps; i++) {
    VssCopyPace pace;
    vss_copy_pace_begin (&pace);
    spin_us (2000);
    longest = MAX (longest, vss_copy_pace_end (&pace));
  }
  return longest;
}

Test (copy_pace, a_thread_kept_waiting_rests_only_when_pacing)
{
  if (access ("/proc/thread-self/schedstat", R_OK) != 0)
    cr_skip_test ("this kernel keeps no run-queue wait (/proc/thread-self/schedstat)");
  cpu_set_t one;
  CPU_ZERO (&one);
  CPU_SET (sched_getcpu (), &one);
  cr_assert_eq (sched_setaffinity (0, sizeof one, &one), 0);
  atomic_store (&hog_stop, FALSE);
  GThread *other = g_thread_new ("hog", hog, &one);   /* shares this thread's only CPU */
  gint64 unpaced = longest_rest (20);
  vss_copy_pace_set_thread (TRUE);
  gint64 paced = longest_rest (20);
  vss_copy_pace_set_thread (FALSE);
  atomic_store (&hog_stop, TRUE);
  g_thread_join (other);
  cr_assert_eq (unpaced, 0, "a thread that does not pace rested %" G_GINT64_FORMAT " µs", unpaced);
  cr_assert_gt (paced, 0, "a pacing thread sharing its CPU with a busy one never rested");
}
