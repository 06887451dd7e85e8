/* dir-env.h — one LMDB environment as the directory writer sees it. */
#pragma once

#include <glib.h>
#include <lmdb.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define DIR_ID_FILE "vss-directory.id"

/* One environment as a writer instance uses it: @env is a reference to
 * the process's one handle of the directory (dir-env-share.h), shared
 * with every other writer instance and backup handle of the process. */
typedef struct {
  char *path;
  char *component;              /* its component name: the path with '/' as '-' */
  MDB_env *env;                 /* NULL until dir_env_open */
} DirEnv;

DirEnv  *dir_env_new (const char *path);
void     dir_env_free (DirEnv *self);
/* Opens (once) for read and write transactions, never creating a database:
 * a directory without data.mdb is an error. */
gboolean dir_env_open (DirEnv *self, GError **error);
/* Lets go of the handle (closed when no other user of the process has it). */
void     dir_env_close (DirEnv *self);
/* The last committed transaction id and the map's used size. */
gboolean dir_env_info (DirEnv *self, guint64 *out_txnid, guint64 *out_used_bytes, GError **error);

/* The identity kept in <dir>/vss-directory.id, created (a random UUID) the
 * first time; it travels with the files, so a restored environment keeps it. */
char    *dir_env_identity (const char *dir, GError **error);
/* The identity if the file is there, else NULL (no error). */
char    *dir_env_read_identity (const char *dir);

/* Another process with the environment open (its shared lock on lock.mdb,
 * read from /proc/locks), 0 when none; *out_name gets its command name. */
pid_t    dir_env_other_user (const char *dir, char **out_name);
/* FALSE with a message naming the process while one has @dir open, or
 * while this process does (a backup handle): files must not be replaced
 * under an open handle. */
gboolean dir_env_check_offline (const char *dir, GError **error);

/* Opens @dir (the process's shared handle), walks every database and
 * checks the entry counts; FALSE with what is wrong. */
gboolean dir_env_verify (const char *dir, guint64 *out_entries, GError **error);

/* "LMDB: MDB_MAP_FULL: …" style messages. */
void     dir_env_set_error (GError **error, int rc, const char *format, ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
