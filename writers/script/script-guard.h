/* script-guard.h — the promise that a hook given "freeze" gets "thaw" or
 * the fail verb, even when the coordinator dies in the frozen window. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScriptGuard ScriptGuard;

/* Records @hooks (already in thaw order) as frozen: a journal file at
 * @journal, and a watchdog process (its own session, reparented to init)
 * that runs `hook @fail_verb` for each of them unless told "thawed"
 * before the pipe to it closes — which happens when this process dies —
 * or before @deadline_ms pass — which happens when this process is
 * stopped (the writer's own timer aborts earlier when it runs). */
ScriptGuard *script_guard_start (const char *journal, GPtrArray *hooks, const char *fail_verb,
                                 guint deadline_ms, GError **error);
/* Whether the watchdog gave up on us (its deadline passed) and ran, or
 * is running, the fail verb itself. */
gboolean     script_guard_expired (ScriptGuard *self);
/* The hooks were thawed (or failed) by us: stop the watchdog, remove
 * the journal (left to an expired watchdog, which removes it itself). */
void         script_guard_release (ScriptGuard *self);

/* Runs what a journal left by a dead process still owes (the fail verb,
 * in order) and removes it; nothing when there is no journal. */
void         script_guard_replay (const char *journal, guint timeout_ms);

G_END_DECLS
