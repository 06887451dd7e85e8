/* vss-backup-events.h — what the lifecycle steps use to talk to writers:
 * requests built from the document, replies applied to proxies and to
 * the document, and filters that pick the writers a step concerns. */
#pragma once

#include "vss-state-private.h"
#include "vss-dispatch.h"

G_BEGIN_DECLS

/* The request for @event to @proxy (a VssRequestBuilder; @user_data is
 * the VssBackupComponents). */
json_object *vss_events_build_request (VssWriterProxy *proxy, VssEvent event, gpointer user_data);

/* Filters, called with the proxy's lock held. */
typedef gboolean (*VssProxyFilter) (VssWriterProxy *proxy);
gboolean vss_events_is_identified (VssWriterProxy *proxy);  /* answered identify, not failed */
gboolean vss_events_is_active (VssWriterProxy *proxy);      /* involved, not failed */
gboolean vss_events_is_frozen (VssWriterProxy *proxy);      /* sent freeze, not thaw */
gboolean vss_events_needs_abort (VssWriterProxy *proxy);    /* sent prepare_backup, not abort */

/* The writers that pass @filter, borrowed. */
GPtrArray *vss_events_select (VssBackupComponents *self, VssProxyFilter filter);

/* Sends @event to @targets in parallel, waits (per-writer deadlines),
 * applies each reply to its proxy (state, metadata, components) and
 * returns the replies in target order. */
GPtrArray *vss_events_send (VssBackupComponents *self, GPtrArray *targets, VssEvent event,
                            GCancellable *cancellable, gboolean *out_cancelled);
/* The same for the writers that pass @filter; FALSE when cancelled. */
gboolean   vss_events_send_to (VssBackupComponents *self, VssProxyFilter filter, VssEvent event,
                               GCancellable *cancellable);
/* A cleanup event that must reach @proxy, without waiting for it. */
void       vss_events_forget (VssBackupComponents *self, VssWriterProxy *proxy, VssEvent event);

/* VSS_ERROR_CANCELLED "<call> was cancelled"; returns FALSE. */
gboolean vss_events_cancelled (const char *call, GError **error);
/* Records a finished step under the lock. */
void     vss_events_add_step (VssBackupComponents *self, VssStep step);

G_END_DECLS
