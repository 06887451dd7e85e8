/* vss-systemd.c — the two halves of systemd's service protocol that `vss
 * daemon` speaks, without libsystemd: taking a socket passed by socket
 * activation (sd_listen_fds(3): LISTEN_PID, LISTEN_FDS, fds from 3), and
 * telling the manager about its state (sd_notify(3): a datagram to
 * $NOTIFY_SOCKET). */
#include "vss-systemd.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_FDS_START 3

int
vss_systemd_take_listen_fd (guint *out_count)
{
  const char *pid_text = g_getenv ("LISTEN_PID");
  const char *fds_text = g_getenv ("LISTEN_FDS");
  guint64 pid = 0, fds = 0;
  gboolean ours = pid_text != NULL && fds_text != NULL &&
                  g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXINT, &pid, NULL) &&
                  g_ascii_string_to_unsigned (fds_text, 10, 0, 1024, &fds, NULL) &&
                  (pid_t) pid == getpid ();
  /* Never again: not in this process, not in its children. */
  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");
  *out_count = ours ? (guint) fds : 0;
  return ours && fds > 0 ? LISTEN_FDS_START : -1;
}

/* $NOTIFY_SOCKET: a path, or "@name" for the abstract namespace. */
static GSocketAddress *
notify_address (const char *where)
{
  if (where[0] == '@')
    return g_unix_socket_address_new_with_type (where + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  if (where[0] == '/')
    return g_unix_socket_address_new (where);
  return NULL;
}

gboolean
vss_systemd_notify (const char *state)
{
  const char *where = g_getenv ("NOTIFY_SOCKET");
  if (where == NULL || *where == '\0')
    return FALSE;
  g_autoptr(GSocketAddress) address = notify_address (where);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = address == NULL ? NULL
      : g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (sock == NULL ||
      g_socket_send_to (sock, address, state, strlen (state), NULL, &error) < 0) {
    g_warning ("cannot notify systemd at %s: %s", where,
               error != NULL ? error->message : "not a socket address");
    return FALSE;
  }
  return TRUE;
}
