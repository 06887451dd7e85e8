/* app-writer — an application hosting a writer, for the tests.
 *
 *   app-writer host MODULE SOCKET [setuid|thread|context]
 *                                            host MODULE's descriptor over
 *                                            SOCKET until disconnected
 *                                            (exit 0; 5 when refused), on
 *                                            this thread (run), the client's
 *                                            own thread (start) or a
 *                                            GMainContext (attach)
 *   app-writer serve SOCKET                  serve the writer socket (a
 *                                            stand-in for `vss daemon`)
 *                                            until SIGTERM */
#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include <vss/vss-writer-client.h>

#include "writer-host/vss-writer-module.h"

static gboolean
quit_when_disconnected (gpointer data)
{
  gpointer *pair = data;  /* client, loop */
  if (vss_writer_client_is_connected (pair[0]))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (pair[1]);
  return G_SOURCE_REMOVE;
}

/* Serves until disconnected: "thread" on the client's own thread while
 * this one waits, "context" from the default main context, else here. */
static gboolean
serve_events (VssWriterClient *client, const char *how, GError **error)
{
  if (g_strcmp0 (how, "thread") == 0) {
    if (!vss_writer_client_start (client, error))
      return FALSE;
    while (vss_writer_client_is_connected (client))
      g_usleep (20000);
    return TRUE;
  }
  if (g_strcmp0 (how, "context") == 0) {
    g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
    gpointer pair[] = { client, loop };
    vss_writer_client_attach (client, NULL);
    g_timeout_add (20, quit_when_disconnected, pair);
    g_main_loop_run (loop);
    return TRUE;
  }
  return vss_writer_client_run (client, error);
}

static int
host (const char *module_path, const char *socket_path, gboolean drop, const char *how)
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
  g_autoptr(VssWriterClient) client = vss_writer_client_new (vss_writer_module_open (module, NULL), &error);
  if (client == NULL || !vss_writer_client_connect (client, socket_path, &error)) {
    fprintf (stderr, "app-writer: %s\n", error->message);
    return error->code == VSS_ERROR_ACCESS_DENIED ? 5 : 1;
  }
  printf ("connected\n");
  fflush (stdout);
  if (!serve_events (client, how, &error)) {
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
    int code = host (argv[2], argv[3], drop, argc >= 5 ? argv[4] : NULL);
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
  fprintf (stderr, "usage: app-writer host MODULE SOCKET [setuid|thread|context] | serve SOCKET\n");
  return 1;
}
