/* dir-hold.h — the freeze: LMDB writer locks held by one thread.
 *
 * An LMDB write transaction belongs to the thread that began it, and the
 * writer's events may arrive on any thread, so one thread of the writer's
 * own begins the transactions, waits, and aborts them: at release, or at
 * the freeze deadline if no release comes. */
#pragma once

#include <glib.h>

#include "dir-env.h"

G_BEGIN_DECLS

typedef struct _DirHold DirHold;

/* @envs (DirEnv*, opened by the caller) stay borrowed for the hold's life. */
DirHold *dir_hold_new (GPtrArray *envs);
/* Releases anything held and joins the thread. */
void     dir_hold_free (DirHold *self);

/* Takes every environment's writer lock, waiting at most @lock_timeout_ms
 * for the directory server's current write to end; the locks are released
 * by themselves @freeze_timeout_ms after this call.  FALSE with a message
 * when a lock could not be taken (nothing stays held). */
gboolean dir_hold_freeze (DirHold *self, guint lock_timeout_ms, guint freeze_timeout_ms,
                          GError **error);
/* Releases the locks.  *out_timed_out tells whether the deadline had
 * already released them (the snapshot then cannot be trusted). */
void     dir_hold_release (DirHold *self, gboolean *out_timed_out);
gboolean dir_hold_is_held (DirHold *self);

G_END_DECLS
