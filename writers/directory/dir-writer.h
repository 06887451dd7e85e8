/* dir-writer.h — the directory writer's state, shared by its events
 * (directory-writer.c) and its online backup service (dir-online.c). */
#pragma once

#include <vss/vss.h>

#include "dir-config.h"
#include "dir-env.h"
#include "dir-hold.h"

G_BEGIN_DECLS

#define DIR_WRITER_ID "b3f1d0c2-7a4e-4c1b-9e2d-5f6a7b8c9d01"
#define DIR_WRITER_NAME "directory"
#define DIR_FREEZE_TIMEOUT_MS 60000
#define DIR_LOGICAL_PATH "lmdb"

typedef struct {
  DirConfig *config;
  GPtrArray *envs;              /* DirEnv*, one per configured environment */
  DirHold *hold;                /* started at the first freeze */
  char *restore_owner;          /* the token of the interlocks pre_restore placed */
  GHashTable *pins;             /* component name → DirPinned: frozen, not served yet */
} DirWriter;

/* The writer's state (on_load made it). */
DirWriter *dir_writer_get (VssWriter *writer);
/* The environment of @dir, or NULL when it is not configured. */
DirEnv    *dir_writer_find_env (DirWriter *self, const char *dir);
/* The environment whose component is @name, or NULL. */
DirEnv    *dir_writer_find_component (DirWriter *self, const char *name);

/* Before and after a restore (dir-restore.c). */
gboolean   dir_pre_restore (VssWriter *writer);
gboolean   dir_post_restore (VssWriter *writer);

/* The table behind get_interface ("vss.ds-backup.2", and .1). */
extern const VssDsBackupInterface dir_online_interface;

G_END_DECLS
