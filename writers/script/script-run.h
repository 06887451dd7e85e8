/* script-run.h — finding the hooks and running one of them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The hooks of @dir in name order: regular executable files, owned by
 * root or by us and not writable by group or others.  Anything else is
 * skipped with a g_warning() that says why (directories and dot files
 * silently, like run-parts).  A missing directory is no hooks. */
GPtrArray *script_list_hooks (const char *dir);

/* Runs `@hook @verb` with a timeout; TRUE when it exited 0.  Otherwise
 * @error says how it ended (exit status, signal, timeout) with the last
 * lines of its output (stdout and stderr together). */
gboolean script_run_hook (const char *hook, const char *verb, guint timeout_ms, GError **error);

G_END_DECLS
