/* vss-backup-set-verify.c — re-reading a set against its manifest: every
 * stored file is hashed again (missing, changed), and files/ is walked for
 * files the manifest does not know (extra).  Nothing is followed: a
 * symlink under files/ is itself a problem, never a way out of the set. */
#include "vss-set-restore-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  VssBackupSet *set;
  VssBackupSetVerifyFunc report;
  gpointer user_data;
  guint problems;
} Verify;

static void
problem (Verify *v, VssVerifyProblem kind, const char *stored, const char *detail)
{
  v->problems++;
  if (v->report != NULL)
    v->report (kind, stored, detail, v->user_data);
}

static void
check_entry (Verify *v, VssSetCopier *copier, const VssSetEntry *e)
{
  int fd = vss_set_open_beneath (v->set->dirfd, e->stored, O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    g_autofree char *detail = g_strdup_printf ("%s (the data of %s)", g_strerror (errno), e->path);
    problem (v, errno == ENOENT ? VSS_VERIFY_MISSING : VSS_VERIFY_CHANGED, e->stored, detail);
    return;
  }
  struct stat st;
  char sha[65] = "";
  guint64 copied = 0;
  int err = 0;
  gboolean dst_side = FALSE;
  g_autofree char *detail = NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    detail = g_strdup ("not a regular file");
  else if ((guint64) st.st_size != e->size)
    detail = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes, the manifest says %" G_GUINT64_FORMAT,
                              (guint64) st.st_size, e->size);
  else if (!vss_set_copier_run (copier, fd, -1, e->size, sha, &copied, &err, &dst_side))
    detail = g_strdup_printf ("cannot read it: %s", g_strerror (err));
  else if (copied != e->size || strcmp (sha, e->sha256) != 0)
    detail = g_strdup_printf ("SHA-256 %s, the manifest says %s", sha, e->sha256);
  close (fd);
  if (detail != NULL)
    problem (v, VSS_VERIFY_CHANGED, e->stored, detail);
}

/* Reports every non-directory under @rel that @known does not list. */
static void
find_extra (Verify *v, int parentfd, const char *rel, GHashTable *known)
{
  int fd = openat (parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    problem (v, VSS_VERIFY_CHANGED, rel, "cannot read this directory");
    return;
  }
  struct dirent *ent;
  while ((ent = readdir (d)) != NULL) {
    if (strcmp (ent->d_name, ".") == 0 || strcmp (ent->d_name, "..") == 0)
      continue;
    g_autofree char *child = g_strconcat (rel, "/", ent->d_name, NULL);
    struct stat st;
    if (fstatat (dirfd (d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (S_ISDIR (st.st_mode)) {
      int sub = openat (dirfd (d), ent->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        find_extra (v, sub, child, known);
        close (sub);
      }
    } else if (!g_hash_table_contains (known, child) || !S_ISREG (st.st_mode)) {
      problem (v, VSS_VERIFY_EXTRA, child, S_ISREG (st.st_mode) ? "not in the manifest"
                                                                 : "not a regular file");
    }
  }
  closedir (d);
}

/* Progress within the file being checked. */
typedef struct {
  VssBackupSetProgress progress;
  gpointer data;
  guint64 before, total;     /* bytes of the files before this one, of all */
  const char *stored;
} VerifyTick;

static void
verify_tick (guint64 file_done, gpointer user_data)
{
  VerifyTick *t = user_data;
  t->progress (t->before + file_done, t->total, t->stored, t->data);
}

gboolean
vss_backup_set_verify (VssBackupSet *self, VssBackupSetVerifyFunc report, gpointer user_data,
                       VssBackupSetProgress progress, gpointer progress_data, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  Verify v = { self, report, user_data, 0 };
  GPtrArray *entries = self->manifest->entries;
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 total = 0, done = 0;
  for (guint i = 0; i < entries->len; i++) {
    VssSetEntry *e = g_ptr_array_index (entries, i);
    if (e->stored != NULL) {
      g_hash_table_add (known, e->stored);
      total += e->size;
    }
  }
  g_autoptr(VssSetCopier) copier = vss_set_copier_new ();
  VerifyTick tick = { progress, progress_data, 0, total, NULL };
  vss_set_copier_set_tick (copier, progress != NULL ? verify_tick : NULL, &tick);
  for (guint i = 0; i < entries->len; i++) {
    VssSetEntry *e = g_ptr_array_index (entries, i);
    if (e->stored == NULL)
      continue;
    tick.before = done;
    tick.stored = e->stored;
    check_entry (&v, copier, e);
    done += e->size;
    if (progress != NULL)
      progress (done, total, e->stored, progress_data);
  }
  int files = openat (self->dirfd, VSS_SET_FILES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (files >= 0) {
    find_extra (&v, files, VSS_SET_FILES, known);
    close (files);
  } else if (g_hash_table_size (known) > 0) {
    problem (&v, VSS_VERIFY_MISSING, VSS_SET_FILES, "the set has no files/ directory");
  }
  if (v.problems == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "the backup set %s has %u problem%s: it is damaged or was tampered with",
               self->dir, v.problems, v.problems == 1 ? "" : "s");
  return FALSE;
}
