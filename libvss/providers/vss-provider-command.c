/* vss-provider-command.c — see vss-provider-command.h. */
#include "vss-provider-command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss.h>
#include "util/vss-child.h"

#define OUT_MAX_BYTES (64 * 1024)
#define ERR_TAIL_BYTES 4096
#define ERR_TAIL_LINES 10
/* How long a killed command may take to die before we stop waiting (one
 * stuck in the kernel, on a dead NFS server say). */
#define REAP_LIMIT_USEC (5 * G_USEC_PER_SEC)

void
vss_command_result_clear (VssCommandResult *self)
{
  g_clear_pointer (&self->out, g_free);
  g_clear_pointer (&self->err_tail, g_free);
}

/* Own process group, so a timeout kills what the command started too. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

typedef struct {
  int fd;             /* -1 once at end of file */
  GString *text;
  gsize keep;         /* only the last @keep bytes are kept */
} Stream;

/* Reads what @stream has now (non-blocking descriptor). */
static void
drain (Stream *stream)
{
  char buf[4096];
  while (stream->fd >= 0) {
    ssize_t n = read (stream->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close (stream->fd);
      stream->fd = -1;
      return;
    }
    g_string_append_len (stream->text, buf, n);
    if (stream->text->len > stream->keep)
      g_string_erase (stream->text, 0, (gssize) (stream->text->len - stream->keep));
  }
}

/* Polls until @pid exits (TRUE, status in *status) or @deadline_usec. */
static gboolean
wait_exit (pid_t pid, int pidfd, Stream streams[2], gint64 deadline_usec, int *status)
{
  for (;;) {
    if (waitpid (pid, status, WNOHANG) == pid)
      return TRUE;
    gint64 left = deadline_usec - g_get_monotonic_time ();
    if (left <= 0)
      return FALSE;
    struct pollfd pfds[3] = {
      { .fd = streams[0].fd, .events = POLLIN },
      { .fd = streams[1].fd, .events = POLLIN },
      { .fd = pidfd, .events = POLLIN },   /* readable once the process exits */
    };
    /* Without a pidfd (old kernels) the exit is noticed within 10 ms. */
    gint64 wait_ms = pidfd >= 0 ? (left + 999) / 1000 : MIN ((left + 999) / 1000, 10);
    if (poll (pfds, 3, (int) MIN (wait_ms, G_MAXINT)) < 0 && errno != EINTR)
      g_usleep (1000);
    drain (&streams[0]);
    drain (&streams[1]);
  }
}

static char *
last_lines (const GString *text)
{
  g_autofree char *copy = g_strstrip (g_strndup (text->str, text->len));
  g_auto(GStrv) lines = g_strsplit (copy, "\n", -1);
  guint n = g_strv_length (lines);
  guint first = n > ERR_TAIL_LINES ? n - ERR_TAIL_LINES : 0;
  return g_strjoinv (" | ", lines + first);
}

static gboolean
spawn (const char *const *argv, const char *const *envp, GPid *pid, Stream streams[2],
       GError **error)
{
  int out[2], err[2];
  if (pipe2 (out, O_CLOEXEC) != 0)
    return g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "%s: pipe: %s",
                        argv[0], g_strerror (errno)), FALSE;
  if (pipe2 (err, O_CLOEXEC) != 0) {
    int saved = errno;
    close (out[0]);
    close (out[1]);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "%s: pipe: %s", argv[0],
                 g_strerror (saved));
    return FALSE;
  }
  gboolean ok = g_spawn_async_with_pipes_and_fds ("/", argv, envp,
    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_SEARCH_PATH, child_setup,
    NULL, -1, out[1], err[1], NULL, NULL, 0, pid, NULL, NULL, NULL, error);
  close (out[1]);
  close (err[1]);
  if (!ok) {
    close (out[0]);
    close (err[0]);
    return FALSE;
  }
  fcntl (out[0], F_SETFL, O_NONBLOCK);
  fcntl (err[0], F_SETFL, O_NONBLOCK);
  streams[0] = (Stream) { out[0], g_string_new (NULL), OUT_MAX_BYTES };
  streams[1] = (Stream) { err[0], g_string_new (NULL), ERR_TAIL_BYTES };
  return TRUE;
}

gboolean
vss_command_run (const char *const *argv, const char *const *envp, gint64 deadline_usec,
                 VssCommandStarted started, gpointer started_data, VssCommandResult *result,
                 GError **error)
{
  memset (result, 0, sizeof *result);
  GPid pid = 0;
  Stream streams[2];
  if (!spawn (argv, envp, &pid, streams, error))
    return FALSE;
  if (started != NULL)
    started (pid, started_data);
  int pidfd = vss_child_pidfd (pid);
  if (!wait_exit (pid, pidfd, streams, deadline_usec, &result->wait_status)) {
    result->timed_out = TRUE;
    kill (-pid, SIGKILL);
    if (!vss_child_wait_until (pid, g_get_monotonic_time () + REAP_LIMIT_USEC,
                               &result->wait_status))
      g_warning ("command %d does not die after SIGKILL; not waiting for it", (int) pid);
  }
  /* What it wrote before exiting; a background child may keep the pipes
   * open, so this takes only what is there now. */
  for (int i = 0; i < 2; i++) {
    drain (&streams[i]);
    if (streams[i].fd >= 0)
      close (streams[i].fd);
  }
  if (pidfd >= 0)
    close (pidfd);
  result->out = g_string_free (streams[0].text, FALSE);
  result->err_tail = last_lines (streams[1].text);
  g_string_free (streams[1].text, TRUE);
  return TRUE;
}

char *
vss_command_describe_status (const VssCommandResult *result)
{
  if (result->timed_out)
    return g_strdup ("was still running at the deadline and was killed");
  if (WIFSIGNALED (result->wait_status))
    return g_strdup_printf ("was killed by signal %d", WTERMSIG (result->wait_status));
  return g_strdup_printf ("exited with status %d", WEXITSTATUS (result->wait_status));
}
