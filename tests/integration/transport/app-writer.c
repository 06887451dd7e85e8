/* app-writer — an application hosting a writer, for the tests.
 *
 *   app-writer host MODULE SOCKET [setuid]   host MODULE's descriptor over
 *                                            SOCKET until disconnected
 *                                            (exit 0; 5 when refused)
 *   app-writer serve SOCKET                  serve the writer socket (a
 *                                            stand-in for `vss daemon`)
 *                                            until SIGTERM */
#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include <vss/vss-writer-client.h>

#include "writer-host/vss-writer-module.h"

static int
host (const char *module_path, const char *socket_path, gboolean drop)
{
  g_autoptr(GError) error = NULL;
  const VssWriterModule *module = vss_writer_module_load (module_path, &error);
  if (module == NULL) {
    fprintf (stderr, "app-writer: %s\n", error->message);
    return 1;
  }
  if (drop && setuid (65534) != 0) {
    perror ("app-writer: setuid");
    return 1;
  }
  g_autoptr(VssWriterClient) client = vss_writer_client_new (module->descriptor, &error);
  if (client == NULL || !vss_writer_client_connect (client, socket_path, &error)) {
    fprintf (stderr, "app-writer: %s\n", error->message);
    return error->code == VSS_ERROR_ACCESS_DENIED ? 5 : 1;
  }
  printf ("connected\n");
  fflush (stdout);
  if (!vss_writer_client_run (client, &error)) {
    fprintf (stderr, "app-writer: %s\n", error->message);
    return 2;
  }
  return 0;
}

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static int
serve (const char *socket_path)
{
  g_autoptr(GError) error = NULL;
  if (!vss_writer_socket_serve (socket_path, &error)) {
    fprintf (stderr, "app-writer: %s\n", error->message);
    return 1;
  }
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit, loop);
  printf ("serving\n");
  fflush (stdout);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  vss_writer_socket_stop ();
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 4 && g_str_equal (argv[1], "host")) {
    gboolean drop = argc >= 5 && g_str_equal (argv[4], "setuid");
    int code = host (argv[2], argv[3], drop);
    /* LeakSanitizer cannot inspect a process that changed its uid and
     * would turn our exit status into 1. */
    if (drop) {
      fflush (NULL);
      _exit (code);
    }
    return code;
  }
  if (argc == 3 && g_str_equal (argv[1], "serve"))
    return serve (argv[2]);
  fprintf (stderr, "usage: app-writer host MODULE SOCKET [setuid] | serve SOCKET\n");
  return 1;
}
