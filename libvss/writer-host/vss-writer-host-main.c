/* vss-writer-host — runs one writer plug-in for the coordinator.
 *
 * Started by the helper transport with the module path as its argument
 * and its end of a socketpair as fd 3; speaks the writer protocol there
 * (docs/writer-protocol.md) until "close" or end of file, then exits.
 * Exit status: 0 after a close or when the coordinator went away, 1 when
 * the module cannot be loaded, 2 on a protocol error.
 *
 * A helper dies with its coordinator: a watcher thread sees the socket
 * hang up (the coordinator exited, was killed, or dropped us) and, when
 * the serving thread is stuck in an event, runs on_abort beside it; either
 * way the process is gone within VSS_WRITER_HOST_GRACE_MS.
 *
 * Limits (so a runaway writer cannot take the machine with it): no core
 * dumps (a writer's memory may hold application data), at most 1024 open
 * files, and an address space of VSS_WRITER_HOST_AS_MB (default 16384)
 * MiB, 0 for none; not applied under sanitizers or valgrind, which need
 * huge reservations.
 *
 * Started by a root coordinator, it runs at background CPU priority but
 * for freeze and thaw ($VSS_WRITER_HOST_NICE, util/vss-copy-priority.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/vss-copy-priority.h"
#include "util/vss-log.h"
#include "vss-wire.h"
#include "vss-writer-endpoint.h"

#define DEFAULT_AS_MB 16384
#define MAX_FILES 1024

static gboolean
under_instrumentation (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return TRUE;
#else
  const char *preload = g_getenv ("LD_PRELOAD");
  return preload != NULL && (strstr (preload, "vgpreload") != NULL || strstr (preload, "asan") != NULL);
#endif
}

static void
set_limits (void)
{
  struct rlimit core = { 0, 0 };
  struct rlimit files = { MAX_FILES, MAX_FILES };
  const char *env = g_getenv ("VSS_WRITER_HOST_AS_MB");
  guint64 as_mb = DEFAULT_AS_MB;

  if (env != NULL && !g_ascii_string_to_unsigned (env, 10, 0, G_MAXUINT32, &as_mb, NULL))
    g_warning ("VSS_WRITER_HOST_AS_MB=%s is not a number of MiB; using %d", env, DEFAULT_AS_MB);
  setrlimit (RLIMIT_CORE, &core);
  /* Never raise a limit the coordinator already lowered. */
  struct rlimit current;
  if (getrlimit (RLIMIT_NOFILE, &current) == 0 && current.rlim_max < MAX_FILES)
    files.rlim_cur = files.rlim_max = current.rlim_max;
  setrlimit (RLIMIT_NOFILE, &files);
  if (as_mb > 0 && !under_instrumentation ()) {
    struct rlimit as = { (rlim_t) as_mb << 20, (rlim_t) as_mb << 20 };
    if (getrlimit (RLIMIT_AS, &current) == 0 && current.rlim_max < as.rlim_max)
      as.rlim_cur = as.rlim_max = current.rlim_max;
    setrlimit (RLIMIT_AS, &as);
  }
}

static void
send_error (const char *text)
{
  json_object *message = vss_wire_message_new ("error");
  json_object_object_add (message, "message", json_object_new_string (text));
  vss_wire_write (VSS_WIRE_HELPER_FD, message, NULL);
  json_object_put (message);
}

/* After an "error" message: a Unix socket closed with unread input
 * resets the connection and the peer may lose our message, so read what
 * is still coming (a little, briefly) before exiting. */
static void
drain_and_close (void)
{
  struct timeval tv = { 1, 0 };
  char buf[65536];
  gsize total = 0;
  ssize_t n;

  shutdown (VSS_WIRE_HELPER_FD, SHUT_WR);
  setsockopt (VSS_WIRE_HELPER_FD, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (total < (1u << 20) && (n = read (VSS_WIRE_HELPER_FD, buf, sizeof buf)) > 0)
    total += (gsize) n;
  close (VSS_WIRE_HELPER_FD);
}

static gint abandon_done;       /* atomic */

static gpointer
abandon_thread (gpointer data)
{
  vss_writer_endpoint_abandon (data);
  g_atomic_int_set (&abandon_done, TRUE);
  return NULL;
}

/* Sleeps until @deadline, or until abandon_done when @until_aborted. */
static void
sleep_until (gint64 deadline, gboolean until_aborted)
{
  while (g_get_monotonic_time () < deadline && !(until_aborted && g_atomic_int_get (&abandon_done)))
    g_usleep (10 * 1000);
}

static gpointer
watch_coordinator (gpointer data)
{
  VssWriterEndpoint *endpoint = data;
  struct pollfd pfd = { .fd = VSS_WIRE_HELPER_FD, .events = POLLRDHUP };

  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  guint grace = vss_writer_host_grace_ms ();
  gint64 deadline = g_get_monotonic_time () + (gint64) grace * 1000;
  /* Idle, the serving thread reads the end of file itself and ends the
   * session (abort, unload); busy, it gets a moment to finish its event. */
  sleep_until (g_get_monotonic_time () + (gint64) MIN (grace / 4, 200) * 1000, FALSE);
  if (vss_writer_endpoint_is_busy (endpoint)) {
    g_thread_unref (g_thread_new ("vss-abandon", abandon_thread, endpoint));
    sleep_until (deadline, TRUE);
    fprintf (stderr, "the coordinator went away while the writer was stuck in an event; exiting\n");
    _exit (0);
  }
  sleep_until (deadline, FALSE);
  fprintf (stderr, "the coordinator went away and the writer did not end within %u ms; exiting\n",
           grace);
  _exit (0);
}

/* --probe MODULE: load it, check its descriptor, answer with the
 * writer's hello on stdout, or say why not on stderr.  What the module
 * itself prints while loading goes to stderr: stdout is the answer's. */
static int
probe (const char *path)
{
  g_autoptr(GError) error = NULL;
  int answer = dup (STDOUT_FILENO);
  if (answer < 0 || dup2 (STDERR_FILENO, STDOUT_FILENO) < 0) {
    fprintf (stderr, "the probe cannot set up its output: %s\n", g_strerror (errno));
    return 1;
  }
  const VssWriterModule *module = vss_writer_module_load (path, &error);
  const VssWriterDescriptor *descriptor = module != NULL ? vss_writer_module_open (module, &error)
                                                         : NULL;
  if (descriptor == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return VSS_WRITER_PROBE_REFUSED;
  }
  VssWriterEndpoint *endpoint = vss_writer_endpoint_new (descriptor);
  json_object *hello = vss_writer_endpoint_hello (endpoint);
  const char *text = json_object_to_json_string_ext (hello, JSON_C_TO_STRING_PLAIN);
  gboolean sent = write (answer, text, strlen (text)) == (ssize_t) strlen (text);
  json_object_put (hello);
  vss_writer_endpoint_free (endpoint);
  return sent ? 0 : 1;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  /* The coordinator may vanish at any time: a closed socket is an end of
   * file or EPIPE here, never a signal. */
  signal (SIGPIPE, SIG_IGN);
  /* Our stderr is relayed line by line into the coordinator's log, which
   * adds the program, time and writer name itself. */
  g_log_set_writer_func (vss_log_plain_writer, NULL, NULL);
  /* this process is the throw-away one a module is first loaded in */
  vss_writer_module_set_probing (FALSE);
  if (argc == 3 && g_str_equal (argv[1], "--probe"))
    return probe (argv[2]);
  if (argc != 2) {
    fprintf (stderr, "usage: %s MODULE (started by libvss with the writer socket as fd %d)\n",
             argv[0], VSS_WIRE_HELPER_FD);
    return 1;
  }
  set_limits ();
  const VssWriterModule *module = vss_writer_module_load (argv[1], &error);
  if (module == NULL) {
    send_error (error->message);
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  const VssWriterDescriptor *descriptor = vss_writer_module_open (module, &error);
  if (descriptor == NULL) {
    send_error (error->message);
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  VssWriterEndpoint *endpoint = vss_writer_endpoint_new (descriptor);
  int window_nice = 0, background_nice = 0;
  if (vss_copy_priority_helper_parse (g_getenv (VSS_HELPER_NICE_ENV), &window_nice, &background_nice))
    vss_writer_endpoint_set_nice (endpoint, window_nice, background_nice);
  g_thread_unref (g_thread_new ("vss-watch", watch_coordinator, endpoint));
  json_object *hello = vss_writer_endpoint_hello (endpoint);
  gboolean ok = vss_wire_write (VSS_WIRE_HELPER_FD, hello, &error) &&
                vss_writer_endpoint_serve (endpoint, VSS_WIRE_HELPER_FD, TRUE, &error);
  json_object_put (hello);
  /* Ends the session (abort if owed, unload) but is not freed: the
   * watcher thread may look at it until the process is gone. */
  vss_writer_endpoint_lost (endpoint);
  if (!ok) {
    fprintf (stderr, "%s\n", error->message);
    drain_and_close ();
    return 2;
  }
  return 0;
}
