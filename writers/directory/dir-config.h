/* dir-config.h — the directory writer's settings (directory.conf). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DIR_CONFIG_FILE "directory.conf"
#define DIR_DEFAULT_TOMBSTONE_DAYS 180.0
#define DIR_DEFAULT_LOCK_TIMEOUT_MS 10000

typedef struct {
  char *path;                   /* the file read */
  GPtrArray *environments;      /* canonical LMDB environment directories */
  char *slapd_config;           /* slapd.conf or slapd.d, or NULL */
  char *service;                /* the service stopped for a restore ("slapd") */
  double tombstone_days;        /* backups older than this may not be restored */
  guint freeze_timeout_ms;      /* 0: the descriptor's */
  guint lock_timeout_ms;        /* how long freeze waits for the LMDB writer lock */
} DirConfig;

/* Reads <config_dir>/directory.conf; environments come from
 * `environments=` and the mdb databases of `slapd_config=`.  FALSE with an
 * error that names the file and the key when something is wrong or when no
 * environment is configured. */
DirConfig *dir_config_load (const char *config_dir, GError **error);
void       dir_config_free (DirConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DirConfig, dir_config_free)

/* The mdb database directories a slapd.conf file or slapd.d directory
 * declares (`directory` / `olcDbDirectory`), in order. */
GPtrArray *dir_config_slapd_directories (const char *slapd_config, GError **error);

G_END_DECLS
