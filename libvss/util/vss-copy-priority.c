/* vss-copy-priority.c — the copies' CPU and I/O priority (vss-copy-priority.h).
 * Linux keeps both per thread: setpriority (PRIO_PROCESS, tid) and
 * ioprio_set (IOPRIO_WHO_PROCESS, tid) change only the calling thread, so
 * the coordinator's other work keeps its priority. */
#include "vss-copy-priority.h"

#include "vss-copy-pace.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <linux/ioprio.h> is not in every libc's headers; the ABI is fixed. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_PRIO_VALUE(class, data) (((class) << IOPRIO_CLASS_SHIFT) | (data))
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

VssCopyPriority
vss_copy_priority_get (void)
{
  static const char *const names[] = { "background", "normal", "idle" };
  const char *env = g_getenv ("VSS_COPY_PRIORITY");
  for (guint i = 0; env != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (env, names[i]))
      return (VssCopyPriority) i;
  if (env != NULL && *env != '\0')
    g_debug ("ignoring VSS_COPY_PRIORITY=\"%s\": not background, normal or idle", env);
  return VSS_COPY_PRIORITY_BACKGROUND;
}

static int
thread_id (void)
{
  return (int) syscall (SYS_gettid);
}

void
vss_copy_priority_enter (VssCopyPrioritySaved *saved)
{
  int tid = thread_id ();
  VssCopyPriority priority = vss_copy_priority_get ();
  saved->changed = saved->paced = FALSE;
  if (priority == VSS_COPY_PRIORITY_NORMAL)
    return;
  /* idle: only when nobody else wants the CPU, which nice alone does not
   * give across sessions (vss-copy-pace.h) */
  saved->paced = priority == VSS_COPY_PRIORITY_IDLE;
  vss_copy_pace_set_thread (saved->paced);
  errno = 0;
  saved->nice = getpriority (PRIO_PROCESS, tid);
  saved->ioprio = (int) syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);
  if (errno != 0 || saved->ioprio < 0)
    return;
  gboolean idle = priority == VSS_COPY_PRIORITY_IDLE;
  /* Never raised: a requester already started at a lower priority keeps it. */
  int nice = MAX (saved->nice, idle ? 19 : 10);
  int ioprio = idle ? IOPRIO_PRIO_VALUE (IOPRIO_CLASS_IDLE, 0) : IOPRIO_PRIO_VALUE (IOPRIO_CLASS_BE, 7);
  /* Only root may take a nice value back: a user's long-lived process (a
   * daemon) would run its next freeze window lowered. */
  if (geteuid () == 0 && setpriority (PRIO_PROCESS, tid, nice) != 0)
    g_debug ("copies keep their CPU priority: %s", g_strerror (errno));
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, ioprio) != 0)
    g_debug ("copies keep their I/O priority: %s", g_strerror (errno));
  saved->changed = TRUE;
}

void
vss_copy_priority_leave (const VssCopyPrioritySaved *saved)
{
  if (saved->paced)
    vss_copy_pace_set_thread (FALSE);
  if (!saved->changed)
    return;
  int tid = thread_id ();
  if (geteuid () == 0 && setpriority (PRIO_PROCESS, tid, saved->nice) != 0)
    g_debug ("copies' CPU priority not restored: %s", g_strerror (errno));
  syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, saved->ioprio);
}

/* The nice values for a helper started from the calling thread: FALSE
 * when helpers keep the caller's priority. */
static gboolean
helper_nice (int *window_nice, int *background_nice)
{
  VssCopyPriority priority = vss_copy_priority_get ();
  if (priority == VSS_COPY_PRIORITY_NORMAL || geteuid () != 0)
    return FALSE;
  errno = 0;
  int nice = getpriority (PRIO_PROCESS, thread_id ());
  if (errno != 0)
    return FALSE;
  *window_nice = nice;
  /* Never raised: a requester already started lower keeps its level. */
  *background_nice = MAX (nice, priority == VSS_COPY_PRIORITY_IDLE ? 19 : 10);
  return TRUE;
}

char **
vss_copy_priority_helper_environ (gboolean *lowered, int *background_nice)
{
  char **env = g_get_environ ();
  int window_nice = 0;
  *lowered = helper_nice (&window_nice, background_nice);
  if (!*lowered)
    return g_environ_unsetenv (env, VSS_HELPER_NICE_ENV);
  g_autofree char *value = g_strdup_printf ("%d,%d", window_nice, *background_nice);
  return g_environ_setenv (env, VSS_HELPER_NICE_ENV, value, TRUE);
}

void
vss_copy_priority_child_setup (gpointer nice)
{
  setpriority (PRIO_PROCESS, 0, GPOINTER_TO_INT (nice));
}

gboolean
vss_copy_priority_helper_parse (const char *value, int *window_nice, int *background_nice)
{
  if (value == NULL)
    return FALSE;
  g_auto(GStrv) parts = g_strsplit (value, ",", 3);
  gint64 window = 0, background = 0;
  return g_strv_length (parts) == 2 &&
         g_ascii_string_to_signed (parts[0], 10, -20, 19, &window, NULL) &&
         g_ascii_string_to_signed (parts[1], 10, -20, 19, &background, NULL) &&
         (*window_nice = (int) window, *background_nice = (int) background, TRUE);
}

gboolean
vss_copy_priority_set_thread_nice (int nice)
{
  return setpriority (PRIO_PROCESS, thread_id (), nice) == 0;
}
