/* vss-copy-pace.c — an idle copy gives way on a contended CPU
 * (vss-copy-pace.h). */
#include "vss-copy-pace.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static _Thread_local gboolean pacing;
static _Thread_local gint64 last_wait_us;   /* monotonic: when a step last waited */

/* A wait below this is a wake-up's, not a queue of others. */
#define WAIT_NOISE_US 50
/* A wait seen marks the CPU contended for this long: a step short enough
 * to return to user space often sees only some of the others' wake-ups. */
#define CONTENDED_US (100 * 1000)

void
vss_copy_pace_set_thread (gboolean on)
{
  pacing = on;
}

gsize
vss_copy_pace_step (gsize full_step)
{
  return pacing ? MIN (full_step, (gsize) VSS_COPY_PACE_STEP) : full_step;
}

/* The calling thread's time waiting on a run queue, in ns (the second
 * field of schedstat); -1 when the kernel keeps no such count. */
static gint64
run_queue_wait_ns (void)
{
  int fd = open ("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char buf[128];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  unsigned long long run = 0, wait = 0;
  return sscanf (buf, "%llu %llu", &run, &wait) == 2 ? (gint64) wait : -1;
}

void
vss_copy_pace_begin (VssCopyPace *pace)
{
  pace->waited_ns = pacing ? run_queue_wait_ns () : -1;
  pace->started_us = g_get_monotonic_time ();
}

gint64
vss_copy_pace_rest_us (gint64 step_us, gint64 waited_us, gint64 since_last_wait_us)
{
  if (waited_us > WAIT_NOISE_US)
    since_last_wait_us = 0;
  return since_last_wait_us < CONTENDED_US ? step_us : 0;
}

gboolean
vss_copy_pace_is_on (void)
{
  return pacing;
}

gint64
vss_copy_pace_end (const VssCopyPace *pace)
{
  if (pace->waited_ns < 0)
    return 0;
  gint64 now = run_queue_wait_ns ();
  if (now < 0)
    return 0;
  gint64 end = g_get_monotonic_time (), waited_us = (now - pace->waited_ns) / 1000;
  gint64 since = last_wait_us > 0 ? end - last_wait_us : G_MAXINT64;
  gint64 rest = vss_copy_pace_rest_us (end - pace->started_us, waited_us, since);
  if (waited_us > WAIT_NOISE_US)
    last_wait_us = end;
  if (rest > 0)
    g_usleep ((gulong) rest);
  return rest;
}
