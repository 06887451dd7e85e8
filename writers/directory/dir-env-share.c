/* dir-env-share.c — the process's LMDB environment handles (see
 * dir-env-share.h).  Keyed by the directory's device and inode, so two
 * spellings of one path share a handle too. */
#include "dir-env-share.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include <vss/vss.h>

/* back-mdb keeps a dozen named databases; leave room for indexes. */
#define DIR_MAX_DBS 256

typedef struct {
  char *key;
  MDB_env *env;
  guint users;
} Shared;

static GMutex share_lock;
static GMutex dbi_lock;
static GHashTable *by_key;      /* key → Shared* */

static char *
key_of (const char *dir)
{
  struct stat st;
  if (stat (dir, &st) != 0)
    return NULL;
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
}

static MDB_env *
open_env (const char *dir, GError **error)
{
  MDB_env *env = NULL;
  int rc = mdb_env_create (&env);
  if (rc == 0)
    rc = mdb_env_set_maxdbs (env, DIR_MAX_DBS);
  /* MDB_NOTLS: read transactions are not tied to a thread (nor to a slot
   * per thread), so every backup handle pins its own */
  if (rc == 0)
    rc = mdb_env_open (env, dir, MDB_NOTLS, 0600);
  if (rc != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot open the LMDB environment "
                 "%s: %s", dir, mdb_strerror (rc));
    if (env != NULL)
      mdb_env_close (env);
    return NULL;
  }
  return env;
}

MDB_env *
dir_env_share_acquire (const char *dir, GError **error)
{
  g_autofree char *key = key_of (dir);
  if (key == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s: %s", dir, g_strerror (errno));
    return NULL;
  }
  g_mutex_lock (&share_lock);
  if (by_key == NULL)
    by_key = g_hash_table_new (g_str_hash, g_str_equal);
  Shared *shared = g_hash_table_lookup (by_key, key);
  if (shared == NULL) {
    MDB_env *env = open_env (dir, error);
    if (env != NULL) {
      shared = g_new0 (Shared, 1);
      shared->key = g_steal_pointer (&key);
      shared->env = env;
      g_hash_table_insert (by_key, shared->key, shared);
    }
  }
  if (shared != NULL)
    shared->users++;
  g_mutex_unlock (&share_lock);
  return shared != NULL ? shared->env : NULL;
}

static Shared *
find_env (MDB_env *env)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, by_key);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Shared *) value)->env == env)
      return value;
  return NULL;
}

void
dir_env_share_release (MDB_env *env)
{
  if (env == NULL)
    return;
  g_mutex_lock (&share_lock);
  Shared *shared = by_key != NULL ? find_env (env) : NULL;
  if (shared != NULL && --shared->users == 0) {
    g_hash_table_remove (by_key, shared->key);
    mdb_env_close (shared->env);
    g_free (shared->key);
    g_free (shared);
  }
  g_mutex_unlock (&share_lock);
}

guint
dir_env_share_users (const char *dir)
{
  g_autofree char *key = key_of (dir);
  g_mutex_lock (&share_lock);
  Shared *shared = key != NULL && by_key != NULL ? g_hash_table_lookup (by_key, key) : NULL;
  guint users = shared != NULL ? shared->users : 0;
  g_mutex_unlock (&share_lock);
  return users;
}

void
dir_env_share_dbi_lock (void)
{
  g_mutex_lock (&dbi_lock);
}

void
dir_env_share_dbi_unlock (void)
{
  g_mutex_unlock (&dbi_lock);
}
