/* cmd-daemon.c — `vss daemon`: serve the writer socket for a long time.
 *
 * Application-hosted writers (vss-writer-client.h) register with the one
 * process that serves the socket.  Every `vss backup` or `vss writers`
 * embeds the coordinator in its own process and, when this daemon runs,
 * reaches those writers through it (the relay); when none runs they see
 * the plug-ins only.  Stops on SIGTERM or SIGINT and removes the socket.
 *
 * Under systemd (data/vss-daemon.socket, .service) it serves the socket
 * systemd passes, which stays systemd's, and reports READY=1 once it
 * serves, so units ordered after it find the socket served. */
#include <glib-unix.h>

#include "vss-options.h"
#include "vss-systemd.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static gboolean
stop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Serves the socket systemd passed, else binds @path.  Writers look for
 * @path, so an inherited socket bound elsewhere is served with a warning. */
static gboolean
serve (const char *path, gboolean *out_inherited, GError **error)
{
  guint count = 0;
  int fd = vss_systemd_take_listen_fd (&count);
  *out_inherited = fd >= 0;
  if (fd < 0)
    return vss_writer_socket_serve (path, error);
  if (count > 1)
    g_warning ("systemd passed %u sockets; serving the first (fd %d) only", count, fd);
  if (!vss_writer_socket_serve_fd (fd, error))
    return FALSE;
  struct sockaddr_un bound = { 0 };
  socklen_t len = sizeof bound;
  if (getsockname (fd, (struct sockaddr *) &bound, &len) == 0 &&
      strncmp (bound.sun_path, path, sizeof bound.sun_path) != 0)
    g_warning ("the socket from systemd is %s, but writers look for %s: make ListenStream= "
               "of vss-daemon.socket and VSS_WRITER_SOCKET (or writer-socket.conf) agree",
               bound.sun_path, path);
  return TRUE;
}

int
vss_cmd_daemon (VssCli *cli, int argc, char **argv)
{
  g_autofree char *socket_path = NULL;
  const GOptionEntry entries[] = {
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
      "The writer socket (default: $VSS_WRITER_SOCKET or <runtime dir>/writers.sock)", "PATH" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "daemon", NULL,
                            "Serve the writer socket: application-hosted writers register here, "
                            "and backups in other processes reach them through it.\n"
                            "Runs until SIGTERM or SIGINT.", entries, &argc, &argv);
  if (done >= 0)
    return done;
  if ((done = vss_cli_no_arguments (cli, "daemon", argc, argv)) >= 0)
    return done;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = socket_path != NULL ? g_strdup (socket_path)
                                              : vss_writer_socket_default_path ();
  gboolean inherited = FALSE;
  if (!serve (path, &inherited, &error))
    return vss_cli_fail (cli, error);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "socket", json_object_new_string (path));
  json_object_object_add (obj, "inherited", json_object_new_boolean (inherited));
  vss_cli_emit (cli, "listening", obj);
  vss_cli_print (cli, "serving the writer socket %s%s\n", path, inherited ? " (from systemd)" : "");
  /* the handlers before READY: a manager may stop us the moment we are ready */
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, stop, loop);
  g_unix_signal_add (SIGINT, stop, loop);
  g_autofree char *ready = g_strdup_printf ("READY=1\nSTATUS=serving the writer socket %s", path);
  vss_systemd_notify (ready);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  vss_systemd_notify ("STOPPING=1");
  vss_writer_socket_stop ();
  return VSS_EXIT_OK;
}
