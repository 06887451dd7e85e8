/* vss-child.c — waiting for a child process of ours, bounded (vss-child.h). */
#include "vss-child.h"

#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
vss_child_pidfd (pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* Reaps @pid if it has exited: 1, 0 while it runs, -1 when it is not
 * ours to wait for (then the wait ends too: FALSE). */
static int
try_reap (pid_t pid, int *status)
{
  pid_t got;
  do
    got = waitpid (pid, status, WNOHANG);
  while (got < 0 && errno == EINTR);
  return got == pid ? 1 : got == 0 ? 0 : -1;
}

gboolean
vss_child_wait_until (pid_t pid, gint64 deadline_usec, int *status)
{
  int ignored = 0;
  status = status != NULL ? status : &ignored;
  int pidfd = vss_child_pidfd (pid);
  int reaped;
  while ((reaped = try_reap (pid, status)) == 0) {
    gint64 left = deadline_usec - g_get_monotonic_time ();
    if (left <= 0)
      break;
    /* Without a pidfd the exit is noticed within 2 ms. */
    gint64 wait_ms = pidfd >= 0 ? (left + 999) / 1000 : MIN ((left + 999) / 1000, 2);
    struct pollfd exited = { pidfd, POLLIN, 0 };
    if (pidfd < 0 || poll (&exited, 1, (int) MIN (wait_ms, G_MAXINT)) < 0)
      g_usleep ((gulong) MIN (wait_ms, 2) * 1000);
  }
  if (pidfd >= 0)
    close (pidfd);
  errno = reaped < 0 ? ECHILD : 0;
  return reaped == 1;
}
