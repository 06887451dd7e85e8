/* vss-copy-priority.h — the priority of the work that holds nobody (the
 * after-thaw copies, the copy into a backup set): like `nice -n 10 ionice
 * -c 2 -n 7` by default, so an application's own CPU and disk requests go
 * first on a busy machine, while the backup still always progresses.  Set
 * per thread; threads started meanwhile (the hashing threads) inherit it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VSS_COPY_PRIORITY_BACKGROUND,   /* nice 10, best-effort I/O level 7 (the default) */
  VSS_COPY_PRIORITY_NORMAL,       /* as the process runs */
  VSS_COPY_PRIORITY_IDLE,         /* nice 19, idle I/O class, paced: only when nobody else
                                   * wants it */
} VssCopyPriority;

/* The policy: $VSS_COPY_PRIORITY ("background", "normal" or "idle"; set
 * by `vss backup --copy-priority`), background when unset or unknown. */
VssCopyPriority vss_copy_priority_get (void);

/* What the calling thread had, to give back with vss_copy_priority_leave. */
typedef struct {
  int nice;
  int ioprio;
  gboolean changed;
  gboolean paced;     /* the thread paces its copies (vss-copy-pace.h) */
} VssCopyPrioritySaved;

/* Lowers the calling thread to the copy priority; at idle, its copies
 * also pace themselves (vss-copy-pace.h). */
void vss_copy_priority_enter (VssCopyPrioritySaved *saved);
void vss_copy_priority_leave (const VssCopyPrioritySaved *saved);

/* ---- the writer helper processes ----
 * A helper (vss-writer-host, and the probe before it) holds nobody but
 * between freeze and thaw, so it starts at the copies' CPU priority, its
 * libraries loaded and its module's prepare work done behind the
 * applications' own; from freeze through thaw it runs at the priority of
 * the thread that started it, then goes back.  Only as root: a lowered
 * nice value cannot be raised again without it (and not with
 * --copy-priority normal). */

/* The environment variable that hands a helper its two nice values,
 * "WINDOW,BACKGROUND" (e.g. "0,10"). */
#define VSS_HELPER_NICE_ENV "VSS_WRITER_HOST_NICE"

/* The environment to start a helper with from the calling thread: ours,
 * plus $VSS_WRITER_HOST_NICE when helpers are lowered (as root, unless
 * the copies run at normal priority; then *@lowered is TRUE and
 * *@background_nice the child's nice). */
char **vss_copy_priority_helper_environ (gboolean *lowered, int *background_nice);
/* A GSpawnChildSetupFunc: the child at nice GPOINTER_TO_INT (@nice), set
 * between fork and exec (only a system call: async-signal-safe). */
void vss_copy_priority_child_setup (gpointer nice);

/* In a helper: parses $VSS_WRITER_HOST_NICE; FALSE when absent or not
 * "WINDOW,BACKGROUND". */
gboolean vss_copy_priority_helper_parse (const char *value, int *window_nice, int *background_nice);
/* Sets the calling thread's nice value; FALSE with errno on failure. */
gboolean vss_copy_priority_set_thread_nice (int nice);

G_END_DECLS
