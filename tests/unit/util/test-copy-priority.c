/* test-copy-priority.c — the copies' priority is set on the calling thread
 * only and given back: background is nice 10 (root) and best-effort I/O
 * level 7, idle is nice 19 and the idle I/O class, normal changes nothing. */
#include <criterion/criterion.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/vss-copy-priority.h"

#define IOPRIO_WHO_PROCESS 1

static int
thread_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
}

static int
thread_ioprio (void)
{
  return (int) syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, (int) syscall (SYS_gettid));
}

/* The I/O class and level the thread runs at while lowered to @mode. */
static void
lowered (const char *mode, int *nice, int *ioprio)
{
  g_setenv ("VSS_COPY_PRIORITY", mode, TRUE);
  VssCopyPrioritySaved saved;
  vss_copy_priority_enter (&saved);
  *nice = thread_nice ();
  *ioprio = thread_ioprio ();
  vss_copy_priority_leave (&saved);
  g_unsetenv ("VSS_COPY_PRIORITY");
}

Test (copy_priority, background_is_best_effort_7_and_given_back)
{
  int nice0 = thread_nice (), io0 = thread_ioprio ();
  int nice, ioprio;
  lowered ("background", &nice, &ioprio);
  cr_assert_eq (ioprio, (2 << 13) | 7, "I/O priority while copying: %#x", ioprio);
  if (geteuid () == 0)
    cr_assert_eq (nice, MAX (nice0, 10));
  cr_assert_eq (thread_nice (), nice0, "the nice value was not given back");
  cr_assert_eq (thread_ioprio (), io0, "the I/O priority was not given back");
}

Test (copy_priority, unset_means_background)
{
  g_unsetenv ("VSS_COPY_PRIORITY");
  cr_assert_eq (vss_copy_priority_get (), VSS_COPY_PRIORITY_BACKGROUND);
  g_setenv ("VSS_COPY_PRIORITY", "fast", TRUE);
  cr_assert_eq (vss_copy_priority_get (), VSS_COPY_PRIORITY_BACKGROUND, "an unknown mode");
  g_unsetenv ("VSS_COPY_PRIORITY");
}

Test (copy_priority, idle_is_the_idle_class)
{
  int nice, ioprio;
  lowered ("idle", &nice, &ioprio);
  cr_assert_eq (ioprio >> 13, 3, "I/O class while copying: %d", ioprio >> 13);
  if (geteuid () == 0)
    cr_assert_eq (nice, 19);
}

Test (copy_priority, normal_changes_nothing)
{
  int nice0 = thread_nice (), io0 = thread_ioprio ();
  int nice, ioprio;
  lowered ("normal", &nice, &ioprio);
  cr_assert_eq (nice, nice0);
  cr_assert_eq (ioprio, io0);
}

/* Only the calling thread, and the threads it starts meanwhile (the
 * hashing threads): a thread started before keeps its own. */
static gpointer
report_after_go (gpointer data)
{
  GAsyncQueue *go = data;
  g_async_queue_pop (go);
  return GINT_TO_POINTER (thread_ioprio ());
}

static gpointer
report_now (gpointer data)
{
  (void) data;
  return GINT_TO_POINTER (thread_ioprio ());
}

Test (copy_priority, only_the_copying_thread_and_its_new_threads_are_lowered)
{
  int io0 = thread_ioprio ();
  g_autoptr(GAsyncQueue) go = g_async_queue_new ();
  GThread *before = g_thread_new ("before", report_after_go, go);
  g_setenv ("VSS_COPY_PRIORITY", "idle", TRUE);
  VssCopyPrioritySaved saved;
  vss_copy_priority_enter (&saved);
  g_async_queue_push (go, GINT_TO_POINTER (1));   /* it looks while we are lowered */
  int seen_before = GPOINTER_TO_INT (g_thread_join (before));
  int seen_new = GPOINTER_TO_INT (g_thread_join (g_thread_new ("new", report_now, NULL)));
  vss_copy_priority_leave (&saved);
  g_unsetenv ("VSS_COPY_PRIORITY");
  cr_assert_eq (seen_before, io0, "a thread started before was lowered too");
  cr_assert_eq (seen_new >> 13, 3, "a thread started while copying runs at another priority");
  cr_assert_eq (thread_ioprio (), io0);
}
