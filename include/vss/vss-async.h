/* vss-async.h — the handle of a long-running call (IVssAsync). */
#pragma once

#include <glib.h>
#include <vss/vss-types.h>

G_BEGIN_DECLS

typedef struct _VssAsync VssAsync;

/* Waits up to @timeout_ms (-1: forever).  Returns VSS_ASYNC_PENDING when
 * the time ran out, VSS_ASYNC_FINISHED, VSS_ASYNC_CANCELLED, or
 * VSS_ASYNC_FAILED with the operation's own error in @error.  Waiting
 * successfully is not the same as the operation succeeding: look at the
 * status. */
VssAsyncStatus vss_async_wait (VssAsync *self, gint64 timeout_ms, GError **error);

/* Where the operation stands now, without waiting. */
VssAsyncStatus vss_async_query_status (VssAsync *self, GError **error);

/* Asks the operation to stop and waits until it has.  Returns
 * VSS_ASYNC_CANCELLED when it stopped because of this call (or an earlier
 * cancel), VSS_ASYNC_FINISHED when it had already finished, or
 * VSS_ASYNC_FAILED with its error when it had already failed. */
VssAsyncStatus vss_async_cancel (VssAsync *self, GError **error);

VssAsync *vss_async_ref (VssAsync *self);
void      vss_async_unref (VssAsync *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssAsync, vss_async_unref)

G_END_DECLS
