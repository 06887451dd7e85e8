/* crash — misbehaves at $VSS_TEST_CRASH_EVENT (default "freeze") the way
 * $VSS_TEST_CRASH_HOW says (default "segv"), after recording the event:
 *   segv, abort, exit       die (exit status 3 for "exit")
 *   hang                    sleep $VSS_TEST_CRASH_MS (default 60000)
 *   disconnect              shut down every socket of the process
 *   oversize, truncated, badjson, version, unsolicited
 *                           write a hostile message on fd 3 (the helper's
 *                           socket), then hang (exit after "truncated")
 * Only for the helper and application transports: in-process, it would
 * take the test down with it. */
#include "test-writer-common.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

const gboolean test_writer_with_db = FALSE;

static void
shutdown_sockets (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  while (dir != NULL && (entry = readdir (dir)) != NULL) {
    int fd = atoi (entry->d_name);
    struct stat st;
    if (fd > 2 && fstat (fd, &st) == 0 && S_ISSOCK (st.st_mode))
      shutdown (fd, SHUT_RDWR);
  }
  if (dir != NULL)
    closedir (dir);
}

static void
write_raw (const void *data, size_t len)
{
  if (send (3, data, len, MSG_NOSIGNAL) != (ssize_t) len)
    g_warning ("crash: could not write the hostile message");
}

static void
write_framed (const char *body, guint32 claimed)
{
  guint32 be = GUINT32_TO_BE (claimed);
  write_raw (&be, 4);
  write_raw (body, strlen (body));
}

static void
misbehave (const char *how)
{
  if (g_str_equal (how, "segv"))
    raise (SIGSEGV);
  else if (g_str_equal (how, "abort"))
    abort ();
  else if (g_str_equal (how, "exit"))
    _exit (3);
  else if (g_str_equal (how, "disconnect"))
    shutdown_sockets ();
  else if (g_str_equal (how, "oversize"))
    write_framed ("{}", 0x7fffffff);
  else if (g_str_equal (how, "truncated")) {
    write_framed ("{\"type\":\"reply\"", 100);
    _exit (0);
  }
  else if (g_str_equal (how, "badjson"))
    write_framed ("[1, 2, 3]", 9);
  else if (g_str_equal (how, "version"))
    write_framed ("{\"type\":\"hello\",\"protocol\":99}", 30);
  else if (g_str_equal (how, "unsolicited"))
    write_framed ("{\"type\":\"reply\",\"seq\":424242,\"reply\":{\"ok\":true}}", 49);
  if (!g_str_equal (how, "disconnect"))
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_CRASH_MS", 60000) * 1000);
}

gboolean
test_writer_hook (VssWriter *writer, const char *event, GError **error)
{
  const char *how = g_getenv ("VSS_TEST_CRASH_HOW");
  if (test_writer_env_is ("VSS_TEST_CRASH_EVENT", "freeze", event)) {
    /* The coordinator logs this line of our stderr with our name. */
    fprintf (stderr, "crash: misbehaving (%s) at %s\n", how != NULL ? how : "segv", event);
    fflush (stderr);
    misbehave (how != NULL ? how : "segv");
  }
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000007", "crash",
                   VSS_UT_USERDATA, 0, TEST_WRITER_CALLBACKS)
