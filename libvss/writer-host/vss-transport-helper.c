/* vss-transport-helper.c — a plug-in writer in its own helper process.
 *
 * One vss-writer-host process per writer and backup: it gets its end of
 * a socketpair as fd 3 and the module path in argv, and answers the
 * writer protocol (docs/writer-protocol.md).  Its stdout and stderr go to
 * a pipe whose lines are logged here once, with the writer's name and
 * the level the helper gave them (vss_log_plain_writer).
 *
 * A helper that dies, or breaks the protocol, is killed (SIGKILL: a
 * half-dead writer must not keep a freeze) and reaped; its current and
 * later events fail with VSS_WF_NOT_RESPONDING.  It is never restarted
 * within the backup: a writer that crashed once is likely to crash again,
 * and its application state is unknown — the next backup (a new
 * VssBackupComponents) starts a fresh helper.  close() sends "close" and
 * gives the helper VSS_WRITER_HOST_GRACE_MS (default 5000) to finish its
 * queued events and exit; after that it is killed, so a hung writer's
 * freeze dies with its process.  vss_writer_hosts_wait_closed() waits
 * for the closed helpers of this process to be gone (bounded by that
 * grace): no coordinator leaves a helper behind.  kill() ends a helper at
 * once (the freeze watchdog's last resort; SIGKILL works on a stopped
 * process too) and reaps it. */
#include "vss-writer-module.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vss-config.h"
#include "util/vss-copy-priority.h"
#include "util/vss-log.h"
#include "vss-peer.h"
#include "vss-wire.h"

#define DEFAULT_GRACE_MS 5000

typedef struct {
  VssTransport parent;
  gatomicrefcount ref;        /* the owner's, and the peer's lost callback's */
  VssPeer *peer;
  GPid pid;                   /* 0 when the helper never started */
  char *spawn_error;
  GMutex reap_lock;           /* kill() and the I/O thread both may reap */
  gboolean reaped;
  gboolean closing;           /* counted in closing_helpers */
  int status;                 /* once reaped */
} HelperTransport;

/* Helpers closed but not yet reaped, in this process. */
static GMutex closing_lock;
static GCond closing_cond;
static guint closing_helpers;

static void
helper_unref (HelperTransport *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  vss_peer_unref (self->peer);
  g_free (self->spawn_error);
  g_mutex_clear (&self->reap_lock);
  g_free (self);
}

const char *
vss_writer_host_path (void)
{
  const char *env = g_getenv ("VSS_WRITER_HOST");
  return env != NULL && *env != '\0' ? env : VSS_WRITER_HOST_PATH;
}

static char *
describe_exit (int status)
{
  if (WIFSIGNALED (status))
    return g_strdup_printf ("the writer host died of signal %d (%s)", WTERMSIG (status),
                            strsignal (WTERMSIG (status)));
  if (WIFEXITED (status))
    return g_strdup_printf ("the writer host exited with status %d", WEXITSTATUS (status));
  return g_strdup ("the writer host ended");
}

/* Kills (harmless on one that already exited; necessary on one that
 * hangs, is stopped or broke the protocol) and reaps, once; the status. */
static int
reap_helper (HelperTransport *self)
{
  g_mutex_lock (&self->reap_lock);
  if (!self->reaped && self->pid > 0) {
    kill (self->pid, SIGKILL);
    while (waitpid (self->pid, &self->status, 0) < 0 && errno == EINTR)
      ;
    self->reaped = TRUE;
    g_mutex_lock (&closing_lock);
    if (self->closing)
      closing_helpers--;
    g_cond_broadcast (&closing_cond);
    g_mutex_unlock (&closing_lock);
  }
  int status = self->status;
  g_mutex_unlock (&self->reap_lock);
  return status;
}

/* On the peer's I/O thread, once: the helper must be gone after this. */
static char *
helper_lost (VssPeer *peer, const char *why, gpointer user_data)
{
  HelperTransport *self = user_data;
  char *described = NULL;

  if (self->spawn_error != NULL) {
    described = g_strdup (self->spawn_error);
  } else if (self->pid > 0) {
    int status = reap_helper (self);
    g_autofree char *exit = describe_exit (status);
    gboolean killed_by_us = WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL;
    described = killed_by_us ? g_strdup (why) : g_strdup_printf ("%s; %s", why, exit);
  }
  helper_unref (self);
  return described;
}

typedef struct {
  int fd;
  char *name;
} LogPipe;

/* Detached: the pipe may outlive the helper when it started children
 * that inherited its stderr, so nobody waits for this thread. */
static gpointer
log_thread (gpointer data)
{
  LogPipe *pipe_data = data;
  FILE *in = fdopen (pipe_data->fd, "r");
  char *line = NULL;
  size_t size = 0;
  ssize_t len;

  while (in != NULL && (len = getline (&line, &size, in)) > 0) {
    if (line[len - 1] == '\n')
      line[len - 1] = '\0';
    const char *text = NULL;
    GLogLevelFlags level = vss_log_parse_plain (line, &text);
    vss_log_writer_event (level, pipe_data->name, NULL, NULL, "writer %s: %s", pipe_data->name, text);
  }
  free (line);
  if (in != NULL)
    fclose (in);
  else
    close (pipe_data->fd);
  g_free (pipe_data->name);
  g_free (pipe_data);
  return NULL;
}

static void
start_log_thread (int fd, const char *name)
{
  LogPipe *pipe_data = g_new0 (LogPipe, 1);
  pipe_data->fd = fd;
  pipe_data->name = g_strdup (name);
  g_thread_unref (g_thread_new ("vss-log", log_thread, pipe_data));
}

/* Starts the helper with @child_fd as its fd 3; FALSE with @error. */
static gboolean
spawn_helper (HelperTransport *self, const VssWriterModule *module, int child_fd, GError **error)
{
  int log_pipe[2];
  const char *argv[] = { vss_writer_host_path (), module->path, NULL };
  int source_fds[] = { child_fd };
  int target_fds[] = { VSS_WIRE_HELPER_FD };

  if (pipe2 (log_pipe, O_CLOEXEC) < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE, "cannot make a pipe: %s",
                 g_strerror (errno));
    return FALSE;
  }
  /* At background priority outside the writers' window (vss-copy-priority.h). */
  gboolean lowered = FALSE;
  int nice = 0;
  g_auto(GStrv) env = vss_copy_priority_helper_environ (&lowered, &nice);
  gboolean ok = g_spawn_async_with_pipes_and_fds (NULL, argv, (const char *const *) env,
                                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                                  lowered ? vss_copy_priority_child_setup : NULL,
                                                  GINT_TO_POINTER (nice), -1, log_pipe[1], log_pipe[1],
                                                  source_fds, target_fds, 1, &self->pid,
                                                  NULL, NULL, NULL, error);
  close (log_pipe[1]);
  if (!ok) {
    close (log_pipe[0]);
    return FALSE;
  }
  start_log_thread (log_pipe[0], module->identity->name);
  return TRUE;
}

static void
helper_send (VssTransport *transport, VssEvent event, json_object *request,
             VssReplyFunc done, gpointer user_data)
{
  HelperTransport *self = (HelperTransport *) transport;
  vss_peer_send_event (self->peer, event, request, done, user_data);
}

guint
vss_writer_host_grace_ms (void)
{
  const char *env = g_getenv ("VSS_WRITER_HOST_GRACE_MS");
  guint64 value = 0;
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 0, 3600000, &value, NULL))
    return (guint) value;
  return DEFAULT_GRACE_MS;
}

static void
helper_close (VssTransport *transport)
{
  HelperTransport *self = (HelperTransport *) transport;
  json_object *message = vss_wire_message_new ("close");

  vss_peer_send_message (self->peer, message);
  json_object_put (message);
  g_mutex_lock (&self->reap_lock);
  g_mutex_lock (&closing_lock);
  self->closing = !self->reaped && self->pid > 0;
  if (self->closing)
    closing_helpers++;
  g_mutex_unlock (&closing_lock);
  g_mutex_unlock (&self->reap_lock);
  vss_peer_set_deadline (self->peer, g_get_monotonic_time () + (gint64) vss_writer_host_grace_ms () * 1000);
  helper_unref (self);
}

static void
helper_kill (VssTransport *transport)
{
  HelperTransport *self = (HelperTransport *) transport;
  int status = reap_helper (self);
  g_autofree char *exit = describe_exit (status);
  g_message ("writer %s: killed its helper process %d (%s)", vss_peer_get_name (self->peer),
             (int) self->pid, exit);
  /* Its pending events fail now rather than at their deadlines. */
  vss_peer_stop (self->peer);
}

void
vss_writer_hosts_wait_closed (void)
{
  /* Each closed helper is killed at its grace deadline by its peer's
   * thread; the margin only covers that thread's own delay. */
  gint64 give_up = g_get_monotonic_time () + (gint64) (vss_writer_host_grace_ms () + 2000) * 1000;
  g_mutex_lock (&closing_lock);
  while (closing_helpers > 0)
    if (!g_cond_wait_until (&closing_cond, &closing_lock, give_up)) {
      g_warning ("%u writer helper process(es) still running after the grace", closing_helpers);
      break;
    }
  g_mutex_unlock (&closing_lock);
}

static const VssTransportClass helper_class = {
  .name = "helper",
  .send = helper_send,
  .close = helper_close,
  .kill = helper_kill,
};

VssTransport *
vss_transport_helper_new (const VssWriterModule *module, const char *instance_id)
{
  g_autoptr(GError) error = NULL;
  HelperTransport *self = g_new0 (HelperTransport, 1);
  int fds[2];

  self->parent.klass = &helper_class;
  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->reap_lock);
  const char *name = module->identity->name;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    g_error ("writer %s: socketpair: %s", name, g_strerror (errno));
  if (!spawn_helper (self, module, fds[1], &error))
    self->spawn_error = g_strdup_printf ("cannot start the writer host %s: %s; "
                                         "check the installation or set VSS_WRITER_HOST",
                                         vss_writer_host_path (), error->message);
  /* Ours is the parent end; without a helper the peer sees EOF at once. */
  close (fds[1]);
  g_atomic_ref_count_inc (&self->ref);
  self->peer = vss_peer_new (fds[0], name, "coordinator", helper_lost, self);
  json_object *open = vss_wire_message_new ("open");
  json_object_object_add (open, "instance_id", json_object_new_string (instance_id));
  vss_peer_send_message (self->peer, open);
  json_object_put (open);
  return &self->parent;
}
