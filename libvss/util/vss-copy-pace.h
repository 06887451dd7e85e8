/* vss-copy-pace.h — a copy at the idle priority gives way on a contended
 * CPU.
 *
 * A nice value orders threads only within one scheduling group, and with
 * autogroups (the kernel's default) every session is one: PostgreSQL puts
 * each backend in a session of its own, so a copy at nice 10 still takes
 * a full share of a core from each of them.  So an idle copy also paces
 * itself: after each step it looks at how long it waited for a CPU during
 * the step (/proc/thread-self/schedstat); if others kept it waiting, they
 * want the core, and for the next 100 ms it rests as long as each step
 * took, leaving them at least half of it.  On an idle machine it never
 * waits, so never rests (its hashing threads leave it a core of its own:
 * vss-hash-behind.c).
 * Small steps matter too: a kernel without preemption gives the core to a
 * woken thread only when the copy returns from its system call. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The step of a paced copy. */
#define VSS_COPY_PACE_STEP (256 * 1024)

typedef struct {
  gint64 started_us;   /* monotonic */
  gint64 waited_ns;    /* the thread's run-queue wait at the start; -1: not paced */
} VssCopyPace;

/* Pacing on or off for the calling thread (vss_copy_priority_enter and
 * _leave turn it on and off; a copy in the freeze window never paces). */
void   vss_copy_pace_set_thread (gboolean on);
/* @full_step when the calling thread does not pace, else VSS_COPY_PACE_STEP
 * (or less). */
gsize  vss_copy_pace_step (gsize full_step);
void   vss_copy_pace_begin (VssCopyPace *pace);
/* Rests after the step begun with @pace when the thread was kept waiting
 * for a CPU during it; the microseconds rested. */
gint64 vss_copy_pace_end (const VssCopyPace *pace);
/* The rule: how long to rest after a step of @step_us in which the thread
 * waited @waited_us for a CPU, the step before that waited
 * @since_last_wait_us ago (G_MAXINT64: never). */
gint64 vss_copy_pace_rest_us (gint64 step_us, gint64 waited_us, gint64 since_last_wait_us);
/* Does the calling thread pace its copies? */
gboolean vss_copy_pace_is_on (void);

G_END_DECLS
