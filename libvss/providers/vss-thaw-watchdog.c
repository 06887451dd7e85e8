/* vss-thaw-watchdog.c — see vss-thaw-watchdog.h.
 *
 * The child runs in a process that may have many threads (glib's pools),
 * so after fork it uses only async-signal-safe calls: no malloc, no glib. */
#include "vss-thaw-watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vss/vss.h>

/* Messages on the socket: one int32 each (4 bytes arrive together).  0 means
 * "thawed, exit"; a positive number is the command's process group. */
#define MESSAGE_DONE 0

static gint64
monotonic_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Ctrl-C in a terminal signals the whole foreground process group: the
 * watchdog leaves it (its own session) and ignores the polite signals, so
 * it outlives a requester killed that way. */
static void
detach_from_signals (void)
{
  setsid ();
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2 };
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &ignore, NULL);
}

/* Every inherited descriptor but the two it needs: holding another pipe's or socket's
 * write end would keep its reader from seeing end of file. */
static void
close_other_fds (int a, int b)
{
  int low = MIN (a, b), high = MAX (a, b);
  if (low > 3)
    close_range (3, (unsigned) low - 1, 0);
  if (high > low + 1)
    close_range ((unsigned) low + 1, (unsigned) high - 1, 0);
  close_range ((unsigned) high + 1, ~0U, 0);
}

/* Waits for a message, end of file or the deadline; returns TRUE when the
 * filesystem must be thawed, with the process group to kill in *group. */
static gboolean
must_thaw (int socket_fd, gint64 deadline_usec, pid_t *group)
{
  for (;;) {
    gint64 left = deadline_usec - monotonic_usec ();
    if (left <= 0)
      return TRUE;
    struct pollfd pfd = { .fd = socket_fd, .events = POLLIN };
    int rc = poll (&pfd, 1, (int) MIN ((left + 999) / 1000, G_MAXINT));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      continue;   /* the deadline is checked at the top */
    int32_t message = 0;
    ssize_t n = read (socket_fd, &message, sizeof message);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != (ssize_t) sizeof message)
      return TRUE;   /* end of file: the freezer is gone */
    if (message == MESSAGE_DONE)
      return FALSE;
    *group = (pid_t) message;
  }
}

G_GNUC_NORETURN static void
watchdog_main (int fs_fd, int socket_fd, gint64 deadline_usec)
{
  detach_from_signals ();
  close_other_fds (fs_fd, socket_fd);
  pid_t group = 0;
  if (must_thaw (socket_fd, deadline_usec, &group)) {
    /* Thaw first: a command blocked on the frozen filesystem cannot die
     * before.  EINVAL (not frozen) is harmless. */
    ioctl (fs_fd, FITHAW, 0);
    if (group > 0)
      kill (-group, SIGKILL);
  }
  _exit (0);
}

gboolean
vss_thaw_watchdog_start (VssThawWatchdog *self, int fs_fd, gint64 deadline_usec, GError **error)
{
  self->pid = 0;
  self->socket_fd = -1;
  int fds[2];
  /* A socket pair, not a pipe: send() with MSG_NOSIGNAL gets EPIPE, not a
   * SIGPIPE, once the watchdog has gone at the deadline.  CLOEXEC: a
   * command we exec must not hold our end, or our death would not reach
   * the watchdog as end of file. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: cannot make the watchdog's socket: %s", g_strerror (saved));
    return FALSE;
  }
  pid_t pid = fork ();
  if (pid == 0) {
    close (fds[1]);
    watchdog_main (fs_fd, fds[0], deadline_usec);
  }
  int saved = errno;
  close (fds[0]);
  if (pid < 0) {
    close (fds[1]);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: cannot start the thaw watchdog: %s", g_strerror (saved));
    return FALSE;
  }
  self->pid = pid;
  self->socket_fd = fds[1];
  return TRUE;
}

static void
send_message (VssThawWatchdog *self, int32_t message)
{
  if (self->socket_fd < 0)
    return;
  while (send (self->socket_fd, &message, sizeof message, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

void
vss_thaw_watchdog_watch_group (VssThawWatchdog *self, pid_t pgid)
{
  if (pgid > 0)
    send_message (self, (int32_t) pgid);
}

void
vss_thaw_watchdog_stop (VssThawWatchdog *self, gboolean thawed)
{
  /* Without the message, closing our end is end of file: it thaws. */
  if (thawed)
    send_message (self, MESSAGE_DONE);
  if (self->socket_fd >= 0)
    close (self->socket_fd);
  self->socket_fd = -1;
  while (self->pid > 0 && waitpid (self->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  self->pid = 0;
}
