/* cert-fixture.h — real certificate stores and whole backups through the
 * library API, for the certificate writer's integration tests. */
#pragma once

#include <criterion/criterion.h>
#include <vss/vss.h>

#include "vss-test.h"

typedef struct {
  char *tmpdir;
  char *work;        /* stores and restores live here */
  char *fast;        /* cf_fast_dir (): on tmpfs, removed at teardown */
} CertFixture;

extern CertFixture cf;

void cf_setup (void);
void cf_teardown (void);

/* A directory on tmpfs (/dev/shm) when there is one, else under work:
 * NSS syncs every transaction, which on a disk limits a certutil load to
 * a few certificates a second. */
const char *cf_fast_dir (void);
/* Skips the test when @program is not installed. */
void cf_require (const char *program);
/* Runs a shell command; asserts exit 0 unless @may_fail; returns stdout. */
char *cf_sh (gboolean may_fail, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* Writes <config>/certificate.conf. */
void cf_write_conf (const char *nss, const char *databases, const char *extra);
/* A new NSS database with a self-signed CA "ca" in @dir. */
void cf_make_nss (const char *dir);

/* One component-mode backup of every certificate component, with the
 * snapshot of @path copied to @copy_to (if not NULL).  FALSE with the
 * writer's failure message when the writer (or the set) failed.
 * @extra_writers: colon-separated extra writer dirs, or NULL. */
gboolean cf_backup (const char *path, VssBackupType type, const char *previous_stamp,
                    gboolean succeeded, const char *copy_to, const char *extra_writers,
                    char **out_stamp, GError **error);

/* Runs @event (pre_restore / post_restore) on a fresh certificate writer
 * with every configured component selected for restore. */
gboolean cf_restore_event (const char *event, char **out_message);
