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
  VSS_COPY_PRIORITY_IDLE,         /* nice 19, idle I/O class: only when nobody else wants it */
} VssCopyPriority;

/* The policy: $VSS_COPY_PRIORITY ("background", "normal" or "idle"; set
 * by `vss backup --copy-priority`), background when unset or unknown. */
VssCopyPriority vss_copy_priority_get (void);

/* What the calling thread had, to give back with vss_copy_priority_leave. */
typedef struct {
  int nice;
  int ioprio;
  gboolean changed;
} VssCopyPrioritySaved;

/* Lowers the calling thread to the copy priority. */
void vss_copy_priority_enter (VssCopyPrioritySaved *saved);
void vss_copy_priority_leave (const VssCopyPrioritySaved *saved);

G_END_DECLS
