/* dir-env.c — opening, describing and checking LMDB environments. */
#include "dir-env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vss/vss.h>

#include "dir-env-share.h"

void
dir_env_set_error (GError **error, int rc, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s: %s", what, mdb_strerror (rc));
}

DirEnv *
dir_env_new (const char *path)
{
  DirEnv *self = g_new0 (DirEnv, 1);
  self->path = g_strdup (path);
  /* Component names may not hold '/': "/var/lib/ldap" is "var-lib-ldap". */
  self->component = g_strdelimit (g_strdup (path[1] != '\0' ? path + 1 : "root"), "/", '-');
  return self;
}

void
dir_env_free (DirEnv *self)
{
  if (self == NULL)
    return;
  dir_env_close (self);
  g_free (self->path);
  g_free (self->component);
  g_free (self);
}

static gboolean
check_data_file (const char *dir, GError **error)
{
  g_autofree char *data = g_build_filename (dir, "data.mdb", NULL);
  if (!g_file_test (data, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s is not an LMDB environment (no data.mdb): check the writer's "
                 "environments= setting", dir);
    return FALSE;
  }
  return TRUE;
}

gboolean
dir_env_open (DirEnv *self, GError **error)
{
  if (self->env != NULL)
    return TRUE;
  if (!check_data_file (self->path, error))
    return FALSE;
  self->env = dir_env_share_acquire (self->path, error);
  return self->env != NULL;
}

void
dir_env_close (DirEnv *self)
{
  dir_env_share_release (g_steal_pointer (&self->env));
}

gboolean
dir_env_info (DirEnv *self, guint64 *out_txnid, guint64 *out_used_bytes, GError **error)
{
  if (!dir_env_open (self, error))
    return FALSE;
  MDB_envinfo info;
  MDB_stat stat;
  int rc = mdb_env_info (self->env, &info);
  if (rc == 0)
    rc = mdb_env_stat (self->env, &stat);
  if (rc != 0) {
    dir_env_set_error (error, rc, "cannot read the state of %s", self->path);
    return FALSE;
  }
  if (out_txnid != NULL)
    *out_txnid = info.me_last_txnid;
  if (out_used_bytes != NULL)
    *out_used_bytes = ((guint64) info.me_last_pgno + 1) * stat.ms_psize;
  return TRUE;
}

char *
dir_env_read_identity (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, DIR_ID_FILE, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  return g_uuid_string_is_valid (text) ? g_steal_pointer (&text) : NULL;
}

char *
dir_env_identity (const char *dir, GError **error)
{
  char *id = dir_env_read_identity (dir);
  if (id != NULL)
    return id;
  g_autofree char *path = g_build_filename (dir, DIR_ID_FILE, NULL);
  g_autofree char *fresh = g_uuid_string_random ();
  g_autofree char *line = g_strconcat (fresh, "\n", NULL);
  /* O_EXCL: two writers starting together agree on the first one. */
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    gboolean ok = write (fd, line, strlen (line)) == (ssize_t) strlen (line) && fsync (fd) == 0;
    close (fd);
    if (!ok)
      unlink (path);
  } else if (errno != EEXIST) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "cannot create the identity file %s: %s; run the writer as the "
                 "directory server's user or root", path, g_strerror (errno));
    return NULL;
  }
  id = dir_env_read_identity (dir);
  if (id == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "%s does not hold a UUID: remove it to let the writer make a new one", path);
  return id;
}

/* The holder of a POSIX lock on byte 0 of @lock_path (@st) in one line of
 * /proc/locks ("1: POSIX ADVISORY READ 1234 08:01:5678 0 EOF"), or 0. */
static gboolean
maps_file (pid_t pid, const char *path)
{
  g_autofree char *maps_path = g_strdup_printf ("/proc/%d/maps", (int) pid);
  g_autofree char *maps = NULL;
  g_autofree char *real = realpath (path, NULL);
  g_autofree char *needle = real != NULL ? g_strconcat (" ", real, "\n", NULL) : NULL;
  return needle != NULL && g_file_get_contents (maps_path, &maps, NULL, NULL) &&
         strstr (maps, needle) != NULL;
}

static pid_t
lock_holder (const char *line, const struct stat *st, const char *lock_path)
{
  char kind[16];
  unsigned pid = 0, major = 0, minor = 0;
  unsigned long long ino = 0, start = 1;
  if (strstr (line, "->") != NULL ||        /* a waiter, not a holder */
      sscanf (line, "%*s %15s %*s %*s %u %x:%x:%llu %llu", kind, &pid, &major, &minor, &ino,
              &start) != 6)
    return 0;
  if (!g_str_equal (kind, "POSIX") || ino != st->st_ino || start != 0)
    return 0;
  /* the device printed is the superblock's, which stat() does not give
   * on btrfs subvolumes: then the holder must map the file (LMDB does) */
  if (major == major (st->st_dev) && minor == minor (st->st_dev))
    return (pid_t) pid;
  return maps_file ((pid_t) pid, lock_path) ? (pid_t) pid : 0;
}

pid_t
dir_env_other_user (const char *dir, char **out_name)
{
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);
  g_autofree char *locks = NULL;
  struct stat st;
  /* Every process with the env open holds a shared lock on byte 0 of
   * lock.mdb.  Read from /proc/locks, never by opening lock.mdb: closing
   * any descriptor of it would drop this process's own locks there. */
  if (stat (lock, &st) != 0 || !g_file_get_contents ("/proc/locks", &locks, NULL, NULL))
    return 0;
  g_auto(GStrv) lines = g_strsplit (locks, "\n", -1);
  pid_t pid = 0;
  for (guint i = 0; pid == 0 && lines[i] != NULL; i++) {
    pid_t holder = lock_holder (lines[i], &st, lock);
    if (holder > 0 && holder != getpid ())
      pid = holder;
  }
  if (pid > 0 && out_name != NULL) {
    g_autofree char *comm_path = g_strdup_printf ("/proc/%d/comm", (int) pid);
    if (!g_file_get_contents (comm_path, out_name, NULL, NULL))
      *out_name = g_strdup ("a process");
    g_strstrip (*out_name);
  }
  return pid;
}

gboolean
dir_env_check_offline (const char *dir, GError **error)
{
  g_autofree char *name = NULL;
  if (dir_env_share_users (dir) > 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "this process has the LMDB environment %s open (an online backup handle): "
                 "end it before restoring", dir);
    return FALSE;
  }
  pid_t pid = dir_env_other_user (dir, &name);
  if (pid == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "%s (pid %d) has the LMDB environment %s open: stop the directory server "
               "before restoring it", name, (int) pid, dir);
  return FALSE;
}

/* Walks one database, counting its entries. */
static int
walk_dbi (MDB_txn *txn, MDB_dbi dbi, size_t *out_count)
{
  MDB_cursor *cursor = NULL;
  MDB_val key, data;
  size_t count = 0;
  int rc = mdb_cursor_open (txn, dbi, &cursor);
  if (rc != 0)
    return rc;
  while ((rc = mdb_cursor_get (cursor, &key, &data, count == 0 ? MDB_FIRST : MDB_NEXT)) == 0)
    count++;
  mdb_cursor_close (cursor);
  *out_count = count;
  return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The main database lists the named ones; each is walked and its count
 * compared with what its header says (a torn copy fails one or the other). */
static int
walk_all (MDB_txn *txn, guint64 *out_entries, char **out_where)
{
  MDB_dbi main_dbi;
  MDB_cursor *cursor = NULL;
  MDB_val key, data;
  int rc = mdb_dbi_open (txn, NULL, 0, &main_dbi);
  if (rc == 0)
    rc = mdb_cursor_open (txn, main_dbi, &cursor);
  for (MDB_cursor_op op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
    if ((rc = mdb_cursor_get (cursor, &key, &data, op)) != 0)
      break;
    g_autofree char *name = g_strndup (key.mv_data, key.mv_size);
    MDB_dbi dbi;
    MDB_stat stat;
    size_t count = 0;
    if (mdb_dbi_open (txn, name, 0, &dbi) != 0)
      continue;                 /* a plain key, not a named database */
    rc = mdb_stat (txn, dbi, &stat);
    if (rc == 0)
      rc = walk_dbi (txn, dbi, &count);
    if (rc == 0 && count != stat.ms_entries)
      rc = MDB_CORRUPTED;
    if (rc != 0)
      *out_where = g_steal_pointer (&name);
    *out_entries += count;
  }
  if (cursor != NULL)
    mdb_cursor_close (cursor);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

gboolean
dir_env_verify (const char *dir, guint64 *out_entries, GError **error)
{
  if (!check_data_file (dir, error))
    return FALSE;
  /* the process's shared handle: a private one would, at its close, drop
   * the reader slots of every backup handle of this process */
  MDB_env *env = dir_env_share_acquire (dir, error);
  if (env == NULL)
    return FALSE;
  MDB_txn *txn = NULL;
  guint64 entries = 0;
  g_autofree char *where = NULL;
  dir_env_share_dbi_lock ();
  int rc = mdb_txn_begin (env, NULL, MDB_RDONLY, &txn);
  if (rc == 0) {
    rc = walk_all (txn, &entries, &where);
    mdb_txn_abort (txn);
  }
  dir_env_share_dbi_unlock ();
  dir_env_share_release (env);
  if (rc != 0) {
    dir_env_set_error (error, rc, "the LMDB environment %s is damaged (database %s)", dir,
                       where != NULL ? where : "main");
    return FALSE;
  }
  if (out_entries != NULL)
    *out_entries = entries;
  return TRUE;
}
