/* vss-dispatch.h — one event to many writers at once.
 *
 * The event goes to every target in parallel; the caller waits until all
 * answered, each target's own deadline passed, or @cancellable fired.  A
 * target that missed its deadline gets a synthetic NOT_RESPONDING reply
 * and is marked hung; its late answer, if any, is dropped. */
#pragma once

#include "vss-writer-proxy.h"

G_BEGIN_DECLS

/* Builds the request for one target; returns a new reference. */
typedef json_object *(*VssRequestBuilder) (VssWriterProxy *proxy, VssEvent event, gpointer user_data);

/* Returns one reply per target, in target order (never NULL entries);
 * free with g_ptr_array_unref.  @timeouts_ms has one entry per target.
 * When cancelled, unanswered targets get a failure reply saying so and
 * *out_cancelled is set (@out_cancelled may be NULL). */
GPtrArray *vss_dispatch_event (GPtrArray *targets, VssEvent event,
                               VssRequestBuilder build, gpointer build_data,
                               const guint *timeouts_ms, GCancellable *cancellable,
                               gboolean *out_cancelled);

/* Sends @event to @target and forgets the answer: for cleanup that must
 * reach a writer even when nobody can wait for it (thaw/abort after a
 * deadline).  An abort to a writer whose transport can end it (a helper)
 * gets the grace (vss_writer_host_grace_ms) to be answered, after which a
 * running freeze watchdog ends the writer. */
void vss_dispatch_forget (VssWriterProxy *target, VssEvent event,
                          VssRequestBuilder build, gpointer build_data);

G_END_DECLS
