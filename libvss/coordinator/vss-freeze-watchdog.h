/* vss-freeze-watchdog.h — the bound on every writer's freeze window.
 *
 * From the moment a writer is sent freeze, it must be sent thaw within its
 * own freeze timeout.  The coordinator's thread may be stuck in a provider
 * commit, so a separate thread watches the deadlines and, when one passes,
 * sends that writer thaw then abort itself and marks it failed at freeze
 * with the timeout failure.
 *
 * Every abort sent without waiting (vss_dispatch_forget) must then be
 * answered within the grace (vss_writer_host_grace_ms); if not, the
 * watchdog ends the writer's process (SIGKILL, which a stopped process
 * cannot ignore) and reaps it.  So, whatever a helper does, its
 * application is released at most freeze timeout + grace after freeze. */
#pragma once

#include "vss-dispatch.h"

G_BEGIN_DECLS

typedef struct _VssFreezeWatchdog VssFreezeWatchdog;

/* Watches the proxies of @writers whose `frozen` flag is set.  @build
 * makes the thaw and abort requests. */
VssFreezeWatchdog *vss_freeze_watchdog_start (GPtrArray *writers, VssRequestBuilder build,
                                              gpointer build_data);
/* Stops watching (joins the thread); writers it thawed have frozen FALSE
 * and aborted TRUE. */
void vss_freeze_watchdog_stop (VssFreezeWatchdog *self);
/* Waits until every pending abort is answered or its writer killed (at
 * most the grace, plus a margin), then stops. */
void vss_freeze_watchdog_finish (VssFreezeWatchdog *self);

G_END_DECLS
