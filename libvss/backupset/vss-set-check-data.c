/* vss-set-check-data.c — does a stored file hold what its manifest entry
 * says?  One implementation for restore's plan and for verify.  The size
 * is compared with fstat before a byte is read: the entry's size comes
 * from an untrusted manifest and drives the hashing loop (a size of 2^62
 * over a 2-byte file would hash holes for years). */
#include "vss-set-restore-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
compare_fd (int fd, const VssSetEntry *e, VssSetCopier *copier)
{
  struct stat st;
  if (fstat (fd, &st) != 0)
    return g_strdup_printf ("cannot stat it: %s", g_strerror (errno));
  if (!S_ISREG (st.st_mode))
    return g_strdup ("not a regular file");
  if ((guint64) st.st_size != e->size)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes, the manifest says %" G_GUINT64_FORMAT,
                            (guint64) st.st_size, e->size);
  VssSetCopyResult r = { "" };
  if (!vss_set_copier_run (copier, fd, -1, e->size, e->sha256_tree, &r))
    return g_strdup_printf ("cannot read it: %s", g_strerror (r.err));
  if (r.copied != e->size)
    return g_strdup_printf ("it shrank to %" G_GUINT64_FORMAT " bytes while read", r.copied);
  if (strcmp (r.sha256, e->sha256) != 0)
    return g_strdup_printf ("%s %s, the manifest says %s",
                            e->sha256_tree ? "piece digest" : "SHA-256", r.sha256, e->sha256);
  return NULL;
}

char *
vss_set_check_stored_data (const VssBackupSet *source, const char *stored, const VssSetEntry *e,
                           VssSetCopier *copier, gboolean *out_missing)
{
  *out_missing = FALSE;
  int fd = vss_set_open_beneath (source->dirfd, stored, O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    *out_missing = errno == ENOENT;
    return g_strdup (g_strerror (errno));
  }
  char *problem = compare_fd (fd, e, copier);
  close (fd);
  return problem;
}
