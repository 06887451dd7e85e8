/* vss-async-private.h — how the coordinator drives a VssAsync. */
#pragma once

#include <gio/gio.h>
#include <vss/vss-async.h>

G_BEGIN_DECLS

/* A pending handle whose cancel() fires @cancellable. */
VssAsync *vss_async_new (GCancellable *cancellable);
/* Ends the operation: @error NULL for success; a G_IO_ERROR_CANCELLED or
 * VSS_ERROR_CANCELLED error makes the status CANCELLED.  Takes @error. */
void      vss_async_complete (VssAsync *self, GError *error);

G_END_DECLS
