/* script-run.h — finding the hooks and running one of them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The hooks of @dir in name order: regular executable files, owned by
 * root or by us and not writable by group or others.  Anything else is
 * skipped (directories and dot files silently, like run-parts; other
 * files with a g_warning()).  A hook refused for its owner or mode is
 * also put in *@refused (the first one), when @refused is not NULL: the
 * application it quiesces would not be, so a backup must fail.  A missing
 * directory is no hooks. */
GPtrArray *script_list_hooks (const char *dir, GError **refused);

/* Runs `@hook @verb` with a timeout; TRUE when it exited 0.  Otherwise
 * @error says how it ended (exit status, signal, timeout) with the last
 * lines of its output (stdout and stderr together). */
gboolean script_run_hook (const char *hook, const char *verb, guint timeout_ms, GError **error);

G_END_DECLS
