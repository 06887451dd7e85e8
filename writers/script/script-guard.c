/* script-guard.c — thaw delivery that outlives this process.
 *
 * The watchdog is /bin/sh reading one line from a pipe whose write end
 * only this process holds (close-on-exec, so hooks never inherit it).
 * "thawed" means all is well; end of file without it means we died, and
 * it runs the fail verb for each frozen hook, then removes the journal.
 * It also gives up after a deadline (coreutils' timeout around the read),
 * for a writer process that is stopped: it closes the pipe then, so that
 * the writer, once it runs again, sees it expired and does not run the
 * fail verb a second time.
 * The journal is the second line of defence, for when the watchdog died
 * too: the next on_load replays it. */
#include "script-guard.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "script-run.h"

struct _ScriptGuard {
  char *journal;
  int pipe_fd;                /* write end, -1 once released */
};

static const char watchdog_script[] =
  "if command -v timeout >/dev/null 2>&1; then line=$(timeout -s KILL \"$3\" head -n 1); "
  "else IFS= read -r line; fi; [ \"$line\" = thawed ] && exit 0; exec 0</dev/null; "
  "journal=$1; verb=$2; shift 3; "
  "for hook do \"$hook\" \"$verb\" </dev/null >/dev/null 2>&1; done; rm -f \"$journal\"";

static void
new_session (gpointer data)
{
  setsid ();
}

static gboolean
start_watchdog (ScriptGuard *self, GPtrArray *hooks, const char *fail_verb, guint deadline_ms,
                GError **error)
{
  int fds[2];
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *deadline = g_strdup_printf ("%u.%03u", deadline_ms / 1000, deadline_ms % 1000);

  if (pipe2 (fds, O_CLOEXEC) < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "pipe: %s", g_strerror (errno));
    return FALSE;
  }
  g_ptr_array_add (argv, (gpointer) "/bin/sh");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) watchdog_script);
  g_ptr_array_add (argv, (gpointer) "vss-script-watchdog");
  g_ptr_array_add (argv, self->journal);
  g_ptr_array_add (argv, (gpointer) fail_verb);
  g_ptr_array_add (argv, deadline);
  for (guint i = 0; i < hooks->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (hooks, i));
  g_ptr_array_add (argv, NULL);
  /* Without DO_NOT_REAP glib double-forks: the watchdog is reparented
   * and nobody here has to wait for it. */
  gboolean ok = g_spawn_async_with_pipes_and_fds (NULL, (const char *const *) argv->pdata, NULL,
    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, new_session, NULL,
    fds[0], -1, -1, NULL, NULL, 0, NULL, NULL, NULL, NULL, error);
  close (fds[0]);
  if (!ok) {
    close (fds[1]);
    return FALSE;
  }
  self->pipe_fd = fds[1];
  return TRUE;
}

ScriptGuard *
script_guard_start (const char *journal, GPtrArray *hooks, const char *fail_verb,
                    guint deadline_ms, GError **error)
{
  g_autoptr(GString) text = g_string_new (fail_verb);
  g_autofree char *dir = g_path_get_dirname (journal);

  g_string_append_c (text, '\n');
  for (guint i = 0; i < hooks->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) g_ptr_array_index (hooks, i));
  if (g_mkdir_with_parents (dir, 0755) < 0 ||
      !g_file_set_contents_full (journal, text->str, (gssize) text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error)) {
    if (error != NULL && *error == NULL)
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s",
                   dir, g_strerror (errno));
    return NULL;
  }
  ScriptGuard *self = g_new0 (ScriptGuard, 1);
  self->journal = g_strdup (journal);
  self->pipe_fd = -1;
  if (!start_watchdog (self, hooks, fail_verb, deadline_ms, error)) {
    unlink (journal);
    g_free (self->journal);
    g_free (self);
    return NULL;
  }
  return self;
}

gboolean
script_guard_expired (ScriptGuard *self)
{
  /* A pipe without readers polls as an error. */
  struct pollfd pfd = { .fd = self->pipe_fd, .events = POLLOUT };
  return poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) != 0;
}

/* The watchdog may expire between a check and the write: a SIGPIPE then
 * must not kill the process (the coordinator's own, for an in-process
 * writer), so it is blocked in this thread and taken back. */
static gboolean
tell_thawed (int fd)
{
  sigset_t pipe_set, old;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
  gboolean ok = write (fd, "thawed\n", 7) == 7;
  int saved = errno;
  struct timespec none = { 0, 0 };
  while (sigtimedwait (&pipe_set, NULL, &none) == SIGPIPE)
    ;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  errno = saved;
  return ok;
}

void
script_guard_release (ScriptGuard *self)
{
  if (self == NULL)
    return;
  gboolean expired = script_guard_expired (self);
  if (!expired && !tell_thawed (self->pipe_fd))
    g_warning ("script: cannot tell the thaw watchdog: %s", g_strerror (errno));
  close (self->pipe_fd);
  if (!expired)
    unlink (self->journal);
  g_free (self->journal);
  g_free (self);
}

void
script_guard_replay (const char *journal, guint timeout_ms)
{
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (journal, &contents, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  if (lines[0] == NULL || *lines[0] == '\0') {
    unlink (journal);
    return;
  }
  for (guint i = 1; lines[i] != NULL; i++) {
    g_autoptr(GError) error = NULL;
    if (*lines[i] == '\0')
      continue;
    g_warning ("script: %s was left frozen by a coordinator that died; running it with %s",
               lines[i], lines[0]);
    if (!script_run_hook (lines[i], lines[0], timeout_ms, &error))
      g_warning ("script: %s", error->message);
  }
  unlink (journal);
}
