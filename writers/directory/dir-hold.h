/* dir-hold.h — the freeze: LMDB writer locks held by a process of its own.
 *
 * An LMDB write transaction belongs to the thread that began it, and a
 * thread of a stopped process runs no timer: a writer running inside a
 * requester that is stopped (SIGSTOP, a debugger, a cgroup freezer)
 * would keep the directory server frozen for as long.  So the locks are
 * taken, held and let go by vss-lmdb-hold (dir-hold-main.c), a process
 * started before the first freeze that keeps the freeze deadline itself,
 * and lets go at once when the writer's process dies (end of file on its
 * stdin).  A killed holder releases the robust mutex too. */
#pragma once

#include <glib.h>

#include "dir-env.h"

G_BEGIN_DECLS

typedef struct _DirHold DirHold;

/* @envs (DirEnv*, opened by the caller) stay borrowed for the hold's life. */
DirHold *dir_hold_new (GPtrArray *envs);
/* Releases anything held and joins the thread. */
void     dir_hold_free (DirHold *self);

/* Starts the holding process ahead of the freeze: it opens the
 * environments and waits, so the freeze costs a message, not a process
 * start inside the window.  dir_hold_freeze starts it when this was not
 * called (or with another timeout). */
gboolean dir_hold_start (DirHold *self, guint freeze_timeout_ms, GError **error);
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
