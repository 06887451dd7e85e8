/* dir-pin.h — one LMDB environment held at one instant: a read
 * transaction and the two meta pages as of it.  The read transaction keeps
 * every page reachable from that state from being reused, so the image —
 * the metas, then the pages up to the last one in use, read straight from
 * data.mdb while the server goes on writing — is what mdb_env_copyfd()
 * writes, without its extra copy through the map and a pipe.  Used by the
 * online backup API (dir-online.c) and the writer images (dir-image.c). */
#pragma once

#include "dir-env.h"

G_BEGIN_DECLS

/* mdb_copy hands at most 1 GiB to one write() too. */
#define DIR_WRITE_PIECE ((gsize) 1 << 30)

typedef struct {
  DirEnv *env;
  MDB_txn *pin;                 /* read transaction: the backup instant */
  int fd;                       /* data.mdb */
  guint8 *map;                  /* data.mdb mapped up to size */
  guint8 *metas;                /* the two meta pages as of the pin, page-aligned */
  gsize metas_size;
  guint64 size;                 /* bytes up to the pin's last page */
} DirPinned;

/* Pins @env.  @frozen: the hold process holds the writer lock already
 * (inside a freeze), so nothing can commit; else the lock is taken for
 * the few microseconds the pin takes. */
DirPinned    *dir_pin_env (DirEnv *env, gboolean frozen, GError **error);
/* Ends the read transaction (from any thread: the environment is NOTLS). */
void          dir_pinned_free (DirPinned *pinned);
/* Where the image's bytes from @offset are: at most *inout_size of them,
 * from the pinned metas or else the map (never both in one piece). */
const guint8 *dir_pinned_next (DirPinned *pinned, guint64 offset, gsize *inout_size);

G_END_DECLS
