/* vss-writer-probe.c — a module is loaded in a throw-away process first.
 *
 * Loading a shared object runs its ELF constructors before any check of
 * ours can look at it: a module whose constructor crashes or hangs would
 * take the requester down with it.  So before a module is opened in a
 * process that matters, `vss-writer-host --probe MODULE` opens it, reads
 * and checks its descriptor, answers with the writer's identity (its
 * hello, on stdout) and exits.  The coordinator needs no more than that
 * identity: its writers run in helper processes, so a module is opened
 * here only for the in-process transport and the online APIs, and only
 * after its probe came through.  The writer host itself does not probe:
 * it is the throw-away process. */
#include "vss-writer-module.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vss-writer-endpoint.h"
#include "util/vss-child.h"
#include "util/vss-copy-priority.h"

/* A constructor that runs longer than this is treated as hung (unless
 * VSS_PROBE_TIMEOUT_MS says otherwise). */
#define PROBE_LIMIT_USEC (10 * G_USEC_PER_SEC)
/* How long a killed probe may take to die before we stop waiting. */
#define REAP_LIMIT_USEC (5 * G_USEC_PER_SEC)

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
  if (vss_child_wait_until (pid, deadline, &status))
    return status;
  if (errno == ECHILD)
    return 0;   /* reaped by the kernel (SIGCHLD ignored): the answer tells */
  kill (pid, SIGKILL);
  /* one stuck in the kernel (a hung NFS read) may not die at once */
  if (!vss_child_wait_until (pid, g_get_monotonic_time () + REAP_LIMIT_USEC, NULL))
    g_warning ("probe %d does not die after SIGKILL; not waiting for it", (int) pid);
  return -1;
}

/* What the probe writes on @out (its answer) and @err (why not) until
 * it closes both or @deadline passes (a constructor that hangs keeps
 * them open: the wait must not).  At most 8 KiB of either is kept. */
static void
read_until (int out, int err, gint64 deadline, GString *answer, GString *said)
{
  struct pollfd fds[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
  GString *into[2] = { answer, said };
  char buf[1024];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
    int ready = left_ms > 0 ? poll (fds, 2, (int) MIN (left_ms, G_MAXINT)) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      ssize_t n = read (fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fds[i].fd = -1;   /* poll skips it from now on */
      else if (into[i]->len < 8192)
        g_string_append_len (into[i], buf, n);
    }
  }
}

/* The identity in the probe's answer (the writer host's hello), checked
 * like an application writer's. */
static gboolean
parse_answer (const char *path, const char *answer, VssWriterProbed *out, GError **error)
{
  json_object *hello = json_tokener_parse (answer);
  gint64 pid = 0;
  g_autoptr(GError) local = NULL;
  gboolean ok = hello != NULL &&
                vss_writer_hello_parse (hello, &out->descriptor, &out->writer_id, &out->name,
                                        &pid, &local);
  json_object_put (hello);
  if (!ok) {
    /* a hello refused halfway may have given one of the two */
    g_clear_pointer (&out->writer_id, g_free);
    g_clear_pointer (&out->name, g_free);
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s loaded in a probe process but its descriptor did not come "
                 "back (%s); it was not used: check that vss-writer-host is the one of this "
                 "libvss", path, local != NULL ? local->message : "no answer");
  }
  return ok;
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
vss_writer_module_probe (const char *path, VssWriterProbed *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if (!probing)
    return TRUE;
  const char *argv[] = { vss_writer_host_path (), "--probe", path, NULL };
  GPid pid = 0;
  int out_fd = -1, err_fd = -1;
  g_autoptr(GError) spawn_error = NULL;
  /* Loading holds nobody: at the helpers' background priority. */
  gboolean lowered = FALSE;
  int nice = 0;
  g_auto(GStrv) env = vss_copy_priority_helper_environ (&lowered, &nice);
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                 lowered ? vss_copy_priority_child_setup : NULL,
                                 GINT_TO_POINTER (nice), &pid, NULL, &out_fd, &err_fd, &spawn_error)) {
    /* Without the writer host no helper can run either; say so once the
     * module is used, not here. */
    g_debug ("cannot probe %s (%s): loading it unprobed", path, spawn_error->message);
    return TRUE;
  }
  gint64 limit = probe_limit_usec (), deadline = g_get_monotonic_time () + limit;
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(GString) said_text = g_string_new (NULL);
  read_until (out_fd, err_fd, deadline, answer, said_text);
  close (out_fd);
  close (err_fd);
  int status = wait_bounded (pid, deadline);
  g_spawn_close_pid (pid);
  if (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return parse_answer (path, answer->str, out, error);
  const char *said = g_strstrip (said_text->str);
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
