/* dir-env-share.h — one MDB_env per environment for the whole process.
 *
 * LMDB must never have one environment open twice in a process: closing
 * either handle clears every reader slot of the process (another handle's
 * pinned read transaction is lost and the server reuses its pages) and
 * closing any descriptor of lock.mdb drops the process's fcntl locks.  So
 * every writer instance (one per online backup handle) shares the handle
 * kept here, counted; it is closed only when its last user lets go. */
#pragma once

#include <glib.h>
#include <lmdb.h>

G_BEGIN_DECLS

/* The process's handle of the environment in @dir, opened (read-write,
 * MDB_NOTLS) by the first user; NULL with @error when it cannot open. */
MDB_env *dir_env_share_acquire (const char *dir, GError **error);
/* One user less; the last one closes the handle. */
void     dir_env_share_release (MDB_env *env);
/* How many users the handle of @dir has in this process (0: not open). */
guint    dir_env_share_users (const char *dir);

/* Held while opening named databases (mdb_dbi_open): LMDB allows it in
 * only one transaction of a process at a time. */
void     dir_env_share_dbi_lock (void);
void     dir_env_share_dbi_unlock (void);

G_END_DECLS
