/* vss-writer-freeze-timer.h — the writer side's own bound on a freeze.
 *
 * One thread per running writer that calls @expired once an armed
 * deadline passes without a disarm.  It lives in the writer's process (a
 * helper, an application, or the coordinator for in-process writers), so
 * it fires even while the coordinator is stopped or gone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VssWriterFreezeTimer VssWriterFreezeTimer;

/* Called on the timer's thread with the generation that was armed. */
typedef void (*VssWriterFreezeExpired) (gpointer user_data, guint64 generation);

VssWriterFreezeTimer *vss_writer_freeze_timer_new (VssWriterFreezeExpired expired, gpointer user_data);
/* Stops and joins the thread; an @expired call in progress finishes first. */
void                  vss_writer_freeze_timer_free (VssWriterFreezeTimer *self);
/* Arms for monotonic time @deadline_usec (replacing an armed deadline);
 * returns the generation @expired will be called with. */
guint64               vss_writer_freeze_timer_arm (VssWriterFreezeTimer *self, gint64 deadline_usec);
void                  vss_writer_freeze_timer_disarm (VssWriterFreezeTimer *self);

G_END_DECLS
