/* vss-app-private.h — application-hosted writers: what the socket server
 * (vss-app-server.c), the relay (vss-app-relay.c) and the client
 * (vss-writer-client.c) share. */
#pragma once

#include <vss/vss-writer-client.h>

#include "vss-peer.h"
#include "vss-writer-module.h"

G_BEGIN_DECLS

/* How long a peer may take to say hello after connecting. */
#define VSS_APP_HELLO_TIMEOUT_MS 5000

/* One registered application writer (server side). */
typedef struct {
  gatomicrefcount ref;
  GMutex lock;
  VssPeer *peer;
  char *writer_id;
  char *name;
  VssWriterDescriptor descriptor;   /* identity only, no callbacks */
  gint64 pid;
  gboolean registered;
  gboolean busy;                    /* a backup session is open */
} VssAppEntry;

VssAppEntry *vss_app_entry_ref (VssAppEntry *entry);
void         vss_app_entry_unref (VssAppEntry *entry);
/* The registered writer named @name (a reference), or NULL. */
VssAppEntry *vss_app_server_find (const char *name);
/* References to every registered writer; NULL when this process does not
 * serve the socket. */
GPtrArray   *vss_app_server_list (void);
/* A session with @entry: "open" now, events, "close" at close().  When
 * the writer is already in a session or gone, every event fails. */
VssTransport *vss_app_entry_transport_new (VssAppEntry *entry, const char *instance_id);

/* What module->app points to. */
typedef struct {
  VssAppEntry *entry;               /* in this process, or NULL */
  char *socket_path;                /* else: through the daemon there */
  char *writer_id;
  char *name;
  gint64 pid;
  VssWriterDescriptor descriptor;
} VssAppRef;

/* SO_PEERCRED check: root, our effective uid, or the configured group. */
gboolean vss_app_check_peer (int fd, GError **error);
/* Connects to @path with send/receive timeouts; -1 with @error. */
int      vss_app_connect (const char *path, GError **error);
/* Sends our hello (@role) and reads the peer's first message: TRUE with
 * the hello in *out_hello; an "error" message becomes @error (access
 * denied, name taken …). */
gboolean vss_app_handshake (int fd, json_object *our_hello, json_object **out_hello, GError **error);

/* The relay (vss-app-relay.c): serves a requester's relay connection on
 * the calling thread, after the hellos. */
void     vss_app_relay_serve (int fd, json_object *hello);
/* Modules for the writers of the daemon at @path, or NULL. */
GPtrArray *vss_app_relay_list (const char *path);
VssTransport *vss_app_relay_transport_new (const VssAppRef *ref, const char *instance_id);

G_END_DECLS
