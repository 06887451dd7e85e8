/* vss-writer-probe.c — a module is loaded in a throw-away process first.
 *
 * Loading a shared object runs its ELF constructors before any check of
 * ours can look at it: a module whose constructor crashes or hangs would
 * take the requester down with it.  So before a module is opened in a
 * process that matters, `vss-writer-host --probe MODULE` opens it, reads
 * and checks its descriptor, and exits; only a module that came through
 * that is opened here.  The writer host itself does not probe: it is the
 * throw-away process. */
#include "vss-writer-module.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/vss-copy-priority.h"

/* A constructor that runs longer than this is treated as hung (unless
 * VSS_PROBE_TIMEOUT_MS says otherwise). */
#define PROBE_LIMIT_USEC (10 * G_USEC_PER_SEC)

static gboolean probing = TRUE;

void
vss_writer_module_set_probing (gboolean enabled)
{
  probing = enabled;
}

/* Waits for @pid until @deadline; kills it past that.  The wait status,
 * or -1 when it had to be killed. */
static int
wait_bounded (GPid pid, gint64 deadline)
{
  int status = 0;
  while (waitpid (pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      return -1;
    }
    g_usleep (2000);
  }
  return status;
}

/* What the probe says on @fd until it closes it or @deadline passes
 * (a constructor that hangs keeps it open: the wait must not). */
static char *
read_until (int fd, gint64 deadline)
{
  GString *out = g_string_new (NULL);
  char buf[1024];
  for (;;) {
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
    struct pollfd in = { fd, POLLIN, 0 };
    int ready = left_ms > 0 ? poll (&in, 1, (int) MIN (left_ms, G_MAXINT)) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    ssize_t n = ready > 0 ? read (fd, buf, sizeof buf) : 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (out->len < 8192)
      g_string_append_len (out, buf, n);
  }
  return g_strstrip (g_string_free (out, FALSE));
}

/* How long a module may take to load in its probe: VSS_PROBE_TIMEOUT_MS,
 * else 10 s. */
static gint64
probe_limit_usec (void)
{
  const char *env = g_getenv ("VSS_PROBE_TIMEOUT_MS");
  guint64 ms = 0;
  if (env != NULL && *env != '\0' &&
      g_ascii_string_to_unsigned (env, 10, 1, 3600000, &ms, NULL))
    return (gint64) ms * 1000;
  if (env != NULL && *env != '\0')
    g_warning ("ignoring VSS_PROBE_TIMEOUT_MS=\"%s\": not 1 to 3600000 ms", env);
  return PROBE_LIMIT_USEC;
}

gboolean
vss_writer_module_probe (const char *path, GError **error)
{
  if (!probing)
    return TRUE;
  const char *argv[] = { vss_writer_host_path (), "--probe", path, NULL };
  GPid pid = 0;
  int err_fd = -1;
  g_autoptr(GError) spawn_error = NULL;
  /* Loading holds nobody: at the helpers' background priority. */
  gboolean lowered = FALSE;
  int nice = 0;
  g_auto(GStrv) env = vss_copy_priority_helper_environ (&lowered, &nice);
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                 G_SPAWN_STDIN_FROM_DEV_NULL,
                                 lowered ? vss_copy_priority_child_setup : NULL,
                                 GINT_TO_POINTER (nice), &pid, NULL, NULL, &err_fd, &spawn_error)) {
    /* Without the writer host no helper can run either; say so once the
     * module is used, not here. */
    g_debug ("cannot probe %s (%s): loading it unprobed", path, spawn_error->message);
    return TRUE;
  }
  gint64 limit = probe_limit_usec (), deadline = g_get_monotonic_time () + limit;
  g_autofree char *said = read_until (err_fd, deadline);
  close (err_fd);
  int status = wait_bounded (pid, deadline);
  g_spawn_close_pid (pid);
  if (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  if (status == -1)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s hung while loading (more than %.1f s in a probe process); "
                 "it was not loaded into vss: fix or remove it", path,
                 (double) limit / G_USEC_PER_SEC);
  else if (WIFEXITED (status) && WEXITSTATUS (status) == VSS_WRITER_PROBE_REFUSED)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s",
                 *said != '\0' ? said : "the writer module was refused by the probe");
  else {
    g_autofree char *how = WIFSIGNALED (status)
        ? g_strdup_printf ("signal %d, %s", WTERMSIG (status), strsignal (WTERMSIG (status)))
        : g_strdup_printf ("exit status %d", WEXITSTATUS (status));
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s crashed while loading (%s) in a probe process; it was not "
                 "loaded into vss: fix or remove it", path, how);
  }
  return FALSE;
}
