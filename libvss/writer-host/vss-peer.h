/* vss-peer.h — the coordinator's end of one writer connection.
 *
 * A VssPeer owns a connected stream socket to something that runs a
 * writer (a helper process, an application, or the daemon relaying for
 * one) and one detached I/O thread that does every read and write, so no
 * caller ever blocks on a writer: sends are queued, replies are matched
 * to their events by sequence number and handed to the event's
 * VssReplyFunc from the I/O thread.
 *
 * When the connection ends (end of file, a protocol error, a deadline set
 * with vss_peer_set_deadline, or vss_peer_stop) the peer is "lost": the
 * lost callback runs once on the I/O thread and says why, then every
 * pending event and every later send is answered with VSS_WF_NOT_RESPONDING
 * and that reason.  The callback always runs, even after vss_peer_stop. */
#pragma once

#include "vss-transport.h"

G_BEGIN_DECLS

typedef struct _VssPeer VssPeer;

/* Called once, on the I/O thread, when the connection is lost; returns a
 * newly allocated description used in the failure messages ("the helper
 * was killed by signal 11"), or NULL to keep @why. */
typedef char *(*VssPeerLostFunc) (VssPeer *peer, const char *why, gpointer user_data);

/* Takes @fd (closed at the last unref), sends our hello with @role and
 * expects the peer's (a NULL @role: both were already exchanged), and
 * starts the I/O thread.  @name names the writer in messages. */
VssPeer *vss_peer_new (int fd, const char *name, const char *role,
                       VssPeerLostFunc lost, gpointer user_data);
VssPeer *vss_peer_ref (VssPeer *self);
void     vss_peer_unref (VssPeer *self);

/* Queues a non-event message ("open", "close"). */
void     vss_peer_send_message (VssPeer *self, json_object *message);
/* Queues an event; @done is called exactly once. */
void     vss_peer_send_event (VssPeer *self, VssEvent event, json_object *request,
                              VssReplyFunc done, gpointer user_data);
/* Loses the connection if it is still up at monotonic time @deadline_usec
 * (0 clears). */
void     vss_peer_set_deadline (VssPeer *self, gint64 deadline_usec);
/* The writer's name given at vss_peer_new. */
const char *vss_peer_get_name (VssPeer *self);
/* Loses the connection now (reason "closed by the coordinator"). */
void     vss_peer_stop (VssPeer *self);

G_END_DECLS
