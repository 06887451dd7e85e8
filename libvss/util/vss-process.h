/* vss-process.h — is the process that left a record still the one running?
 *
 * Records of work in progress (snapshot sets, restore gates and
 * interlocks) name the process that made them.  A pid alone is not an
 * identity: it is reused, and a killed helper may stay a zombie that no
 * one reaps.  The start time (field 22 of /proc/PID/stat) tells a reused
 * pid apart. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Clock ticks since boot when @pid started; 0 when it is gone. */
guint64  vss_process_start_time (gint64 pid);
/* @pid runs (not a zombie) and, when @start_time is not 0, is the process
 * that started then. */
gboolean vss_process_is_alive (gint64 pid, guint64 start_time);

G_END_DECLS
