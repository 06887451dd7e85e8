/* vss-writer-client.h — writers hosted by an application, and the socket
 * they connect to.
 *
 * A plug-in writer runs in a helper process the coordinator starts.  An
 * application that would rather keep its writer in its own process (it
 * already holds the locks and the state a freeze needs) registers the
 * same VssWriterDescriptor over the coordinator's writer socket:
 *
 *   VssWriterClient *client = vss_writer_client_new (&my_descriptor, &error);
 *   if (!vss_writer_client_connect (client, NULL, &error)) …
 *   vss_writer_client_start (client, &error);    // serve on a thread
 *   …
 *   vss_writer_client_free (client);
 *
 * The callbacks then run exactly as for a plug-in (one at a time, always
 * on the same thread: the client's thread, or the thread that runs the
 * GMainContext given to vss_writer_client_attach), with on_load/on_unload
 * around each backup.  When the coordinator goes away in the middle of a
 * backup, the writer gets on_abort before on_unload.
 *
 * The coordinator side: `vss daemon` (or any process calling
 * vss_writer_socket_serve) listens on the socket and accepts peers that
 * run as root, as its own user, or in the configured group
 * (docs/writer-protocol.md).  Requesters in other processes reach the
 * registered writers through it. */
#pragma once

#include <glib.h>
#include <vss/vss-writer.h>

G_BEGIN_DECLS

typedef struct _VssWriterClient VssWriterClient;

/* Checks @descriptor like a plug-in's (ABI, UUID, name) and keeps a
 * pointer to it: it must outlive the client. */
VssWriterClient *vss_writer_client_new (const VssWriterDescriptor *descriptor, GError **error);
/* Connects to @socket_path (NULL: vss_writer_socket_default_path()) and
 * registers.  VSS_ERROR_ACCESS_DENIED when the coordinator refused us,
 * VSS_ERROR_OBJECT_ALREADY_EXISTS when a writer of that name is already
 * registered, VSS_ERROR_WRITER_INFRASTRUCTURE when nothing listens. */
gboolean vss_writer_client_connect (VssWriterClient *self, const char *socket_path, GError **error);
/* Serves events on the calling thread until the coordinator disconnects
 * (TRUE) or breaks the protocol (FALSE). */
gboolean vss_writer_client_run (VssWriterClient *self, GError **error);
/* Serves events on a thread of the client's own. */
gboolean vss_writer_client_start (VssWriterClient *self, GError **error);
/* Serves events from @context (NULL: the global default context); the
 * callbacks run where that context is iterated.  Returns the source id. */
guint    vss_writer_client_attach (VssWriterClient *self, GMainContext *context);
/* TRUE while the connection is up. */
gboolean vss_writer_client_is_connected (VssWriterClient *self);
/* Disconnects (an open backup session is aborted and unloaded first),
 * waits for the client's thread, frees. */
void     vss_writer_client_free (VssWriterClient *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssWriterClient, vss_writer_client_free)

/* ---- the coordinator's end ---- */

/* $VSS_WRITER_SOCKET, else `socket` in <config dir>/writer-socket.conf,
 * else <runtime dir>/writers.sock.  Newly allocated. */
char    *vss_writer_socket_default_path (void);
/* Listens on @path (NULL: the default) on a thread of this process until
 * vss_writer_socket_stop.  Registered writers take part in this
 * process's backups, and requesters in other processes reach them
 * through this socket.  Refuses to replace a socket another process
 * still listens on (VSS_ERROR_OBJECT_ALREADY_EXISTS). */
gboolean vss_writer_socket_serve (const char *path, GError **error);
/* Serves the listening Unix socket @fd that another process bound (systemd
 * socket activation: LISTEN_FDS) instead of binding one; takes @fd.  At
 * stop the socket file is left to its owner.  VSS_ERROR_INVALID_ARG when
 * @fd is not a listening Unix stream socket. */
gboolean vss_writer_socket_serve_fd (int fd, GError **error);
/* Stops listening, drops every connection, removes the socket file (one
 * that vss_writer_socket_serve bound). */
void     vss_writer_socket_stop (void);

G_END_DECLS
