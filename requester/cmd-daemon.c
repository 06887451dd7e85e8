/* cmd-daemon.c — `vss daemon`: serve the writer socket for a long time.
 *
 * Application-hosted writers (vss-writer-client.h) register with the one
 * process that serves the socket.  Every `vss backup` or `vss writers`
 * embeds the coordinator in its own process and, when this daemon runs,
 * reaches those writers through it (the relay); when none runs they see
 * the plug-ins only.  Stops on SIGTERM or SIGINT and removes the socket. */
#include <glib-unix.h>

#include "vss-options.h"

static gboolean
stop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
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
  if (argc > 1)
    return vss_cli_usage (cli, "daemon", "unexpected argument \"%s\"", argv[1]);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = socket_path != NULL ? g_strdup (socket_path)
                                              : vss_writer_socket_default_path ();
  if (!vss_writer_socket_serve (path, &error))
    return vss_cli_fail (cli, error);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "socket", json_object_new_string (path));
  vss_cli_emit (cli, "listening", obj);
  vss_cli_print (cli, "serving the writer socket %s\n", path);
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, stop, loop);
  g_unix_signal_add (SIGINT, stop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  vss_writer_socket_stop ();
  return VSS_EXIT_OK;
}
