/* script-run.c — running one hook: argv[1] is the verb, stdin is
 * /dev/null, stdout and stderr are read into one buffer of which only the
 * tail is kept (a hook may be chatty), and a hook that overruns its
 * timeout is killed with its whole process group. */
#include "script-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss.h>

#define TAIL_BYTES 4096
#define TAIL_LINES 10

/* A hook anyone else could rewrite is never run as root. */
static gboolean
hook_is_safe (const char *path, const struct stat *st, GError **error)
{
  if (st->st_uid != 0 && st->st_uid != geteuid ()) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "hook %s is owned by uid %u, not root nor uid %u, so it is not run; chown it",
                 path, (unsigned) st->st_uid, (unsigned) geteuid ());
    return FALSE;
  }
  if (st->st_mode & (S_IWGRP | S_IWOTH)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "hook %s is writable by group or others (mode %04o), so it is not run; "
                 "chmod go-w it", path, (unsigned) (st->st_mode & 07777));
    return FALSE;
  }
  return TRUE;
}

/* Byte order, like run-parts in the C locale: "10-a" before "9-b". */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
script_list_hooks (const char *dir, GError **refused)
{
  GPtrArray *hooks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    struct stat st;
    if (name[0] == '.' || stat (path, &st) < 0 || S_ISDIR (st.st_mode))
      continue;
    if (!S_ISREG (st.st_mode) || access (path, X_OK) != 0) {
      g_warning ("script: skipping %s: not an executable file", path);
      continue;
    }
    g_autoptr(GError) unsafe = NULL;
    if (hook_is_safe (path, &st, &unsafe))
      g_ptr_array_add (hooks, g_steal_pointer (&path));
    else if (refused != NULL && *refused == NULL)
      g_propagate_error (refused, g_steal_pointer (&unsafe));
    else
      g_warning ("script: %s", unsafe->message);
  }
  g_ptr_array_sort (hooks, compare_names);
  return hooks;
}

static void
keep_tail (GString *out, const char *data, gssize len)
{
  g_string_append_len (out, data, len);
  if (out->len > TAIL_BYTES)
    g_string_erase (out, 0, (gssize) (out->len - TAIL_BYTES));
}

static char *
last_lines (const GString *out)
{
  g_autofree char *text = g_strstrip (g_strndup (out->str, out->len));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  guint first = n > TAIL_LINES ? n - TAIL_LINES : 0;
  return g_strjoinv (" | ", lines + first);
}

/* Reads the output until end of file or @deadline; FALSE on timeout. */
static gboolean
read_output (int fd, gint64 deadline, GString *out)
{
  char buf[4096];
  for (;;) {
    gint64 now = g_get_monotonic_time ();
    if (now >= deadline)
      return FALSE;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int rc = poll (&pfd, 1, (int) MIN ((deadline - now) / 1000 + 1, G_MAXINT));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc == 0)
      continue;
    ssize_t n = read (fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return TRUE;
    keep_tail (out, buf, n);
  }
}

/* Own process group, so a timeout kills what the hook started too. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

gboolean
script_run_hook (const char *hook, const char *verb, guint timeout_ms, GError **error)
{
  const char *argv[] = { hook, verb, NULL };
  int out_pipe[2];
  GPid pid = 0;
  int status = 0;

  if (pipe2 (out_pipe, O_CLOEXEC) < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE, "%s %s: pipe: %s", hook, verb,
                 g_strerror (errno));
    return FALSE;
  }
  gboolean started = g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, child_setup, NULL,
    -1, out_pipe[1], out_pipe[1], NULL, NULL, 0, &pid, NULL, NULL, NULL, error);
  close (out_pipe[1]);
  if (!started) {
    close (out_pipe[0]);
    g_prefix_error (error, "%s %s: ", hook, verb);
    return FALSE;
  }
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean in_time = read_output (out_pipe[0], g_get_monotonic_time () + (gint64) timeout_ms * 1000, out);
  close (out_pipe[0]);
  if (!in_time)
    kill (-pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_autofree char *tail = last_lines (out);
  if (!in_time) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_TIMEOUT,
                 "%s %s: still running after %u ms; killed. Output: %s", hook, verb, timeout_ms, tail);
    return FALSE;
  }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  if (WIFSIGNALED (status))
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE, "%s %s: killed by signal %d. Output: %s",
                 hook, verb, WTERMSIG (status), tail);
  else
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE, "%s %s: exit code %d. Output: %s",
                 hook, verb, WEXITSTATUS (status), tail);
  return FALSE;
}
