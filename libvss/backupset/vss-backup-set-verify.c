/* vss-backup-set-verify.c — "verify" means "restorable": the set and every
 * set of its chain (found next to it by id, each base's manifest the one
 * its successor was made on) are checked with the plan a restore makes
 * (vss-set-restore-plan.c: entries inside their component's file sets,
 * no duplicate target, nothing through a symlink entry, every in-base and
 * hard-link entry resolved to data), every stored file is hashed again
 * (missing, changed), and files/ is walked for files the manifest does
 * not know (extra).  Nothing is followed: a symlink under files/ is itself
 * a problem, never a way out of the set. */
#include "vss-set-restore-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  VssBackupSetVerifyFunc report;
  gpointer user_data;
  VssBackupSetProgress progress;
  gpointer progress_data;
  VssSetCopier *copier;
  guint problems;
  guint64 done, total;
  const char *stored;   /* the file being checked, for the progress within it */
} Verify;

/* One set of the chain (or the set verified, @prefix ""). */
typedef struct {
  Verify *v;
  VssBackupSet *set;
  const char *prefix;   /* put before stored paths: "" or "BASE_DIR/" */
} VerifySet;

static void
problem (VerifySet *vs, VssVerifyProblem kind, const char *where, const char *detail)
{
  vs->v->problems++;
  if (vs->v->report == NULL)
    return;
  g_autofree char *place = g_strconcat (vs->prefix, where, NULL);
  vs->v->report (kind, place, detail, vs->v->user_data);
}

static void
check_entry (VerifySet *vs, const VssSetEntry *e)
{
  gboolean missing = FALSE;
  g_autofree char *what = vss_set_check_stored_data (vs->set, e->stored, e, vs->v->copier,
                                                     &missing);
  if (what == NULL)
    return;
  g_autofree char *detail = g_strdup_printf ("%s (the data of %s)", what, e->path);
  problem (vs, missing ? VSS_VERIFY_MISSING : VSS_VERIFY_CHANGED, e->stored, detail);
}

/* @known holds a 64-bit hash of each stored path, not the paths, in a
 * table kept out of memory (vss-set-slot-table.c).  (Two paths with one
 * hash would hide an extra file; with 64 bits and a million files the
 * odds are ~1e-8.) */
static guint64
stored_key (const char *stored)
{
  return vss_manifest_key_hash (0, stored);
}

static gboolean
found (guint64 offset, gpointer user_data)
{
  (void) offset;
  *(gboolean *) user_data = TRUE;
  return FALSE;
}

static gboolean
stored_is_known (VssSlotTable *known, const char *stored)
{
  gboolean is_known = FALSE;
  vss_slot_table_find (known, stored_key (stored), found, &is_known);
  return is_known;
}

/* Reports every non-directory under @rel that @known does not list. */
static void
find_extra (VerifySet *vs, int parentfd, const char *rel, VssSlotTable *known)
{
  int fd = openat (parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    problem (vs, VSS_VERIFY_CHANGED, rel, "cannot read this directory");
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
        find_extra (vs, sub, child, known);
        close (sub);
      }
    } else if (!stored_is_known (known, child) || !S_ISREG (st.st_mode)) {
      problem (vs, VSS_VERIFY_EXTRA, child, S_ISREG (st.st_mode) ? "not in the manifest"
                                                                  : "not a regular file");
    }
  }
  closedir (d);
}

/* What a restore of each component would refuse, before any data. */
static void
check_plans (VerifySet *vs, GPtrArray *chain)
{
  GPtrArray *components = vs->set->manifest->components;
  if (components->len == 0)
    problem (vs, VSS_VERIFY_REFUSED, VSS_SET_MANIFEST,
             "the set has no component: there is nothing to restore");
  for (guint i = 0; i < components->len; i++) {
    const char *component = g_ptr_array_index (components, i);
    g_autoptr(GError) error = NULL;
    if (!vss_restore_check_component (vs->set, chain, component, &error))
      problem (vs, VSS_VERIFY_REFUSED, component, error->message);
  }
}

static void
check_files (VerifySet *vs)
{
  g_autoptr(VssSlotTable) known = vss_slot_table_new ();
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (vs->set);
  g_autoptr(GError) error = NULL;
  const VssSetEntry *e = NULL;
  g_autoptr(GError) table_error = NULL;
  gboolean any = FALSE;
  while (vss_manifest_reader_next (reader, &e, &error) && e != NULL) {
    if (e->stored == NULL)
      continue;
    if (table_error == NULL)
      vss_slot_table_add (known, stored_key (e->stored), 0, &table_error);
    any = TRUE;
    vs->v->stored = e->stored;
    check_entry (vs, e);
    vs->v->done += e->size;
    if (vs->v->progress != NULL)
      vs->v->progress (vs->v->done, vs->v->total, e->stored, vs->v->progress_data);
  }
  if (error != NULL)
    problem (vs, VSS_VERIFY_CHANGED, VSS_SET_MANIFEST, error->message);
  if (table_error == NULL)
    vss_slot_table_finish (known, NULL, NULL, &table_error);
  if (table_error != NULL)
    problem (vs, VSS_VERIFY_CHANGED, VSS_SET_MANIFEST, table_error->message);
  int files = openat (vs->set->dirfd, VSS_SET_FILES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (files >= 0) {
    find_extra (vs, files, VSS_SET_FILES, known);
    close (files);
  } else if (any) {
    problem (vs, VSS_VERIFY_MISSING, VSS_SET_FILES, "the set has no files/ directory");
  }
}

static guint64
stored_bytes (const VssBackupSet *set)
{
  guint64 total = 0;
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (set);
  const VssSetEntry *e = NULL;
  while (vss_manifest_reader_next (reader, &e, NULL) && e != NULL)
    total += e->stored != NULL ? e->size : 0;
  return total;
}

/* Every set of @chain with the sets before it, then @self; the chain of
 * a set without base is empty. */
static void
verify_chain (Verify *v, VssBackupSet *self, GPtrArray *chain)
{
  for (guint i = 0; chain != NULL && i < chain->len; i++)
    v->total += stored_bytes (g_ptr_array_index (chain, i));
  v->total += stored_bytes (self);
  g_autoptr(GPtrArray) before = g_ptr_array_new ();
  for (guint i = 0; chain != NULL && i <= chain->len; i++) {
    VssBackupSet *set = i < chain->len ? g_ptr_array_index (chain, i) : self;
    g_autofree char *prefix = set == self ? g_strdup ("") : g_strconcat (set->dir, "/", NULL);
    VerifySet vs = { v, set, prefix };
    check_plans (&vs, before);
    check_files (&vs);
    g_ptr_array_add (before, set);
  }
}

/* Progress within the file being checked. */
static void
verify_tick (guint64 file_done, gpointer user_data)
{
  Verify *v = user_data;
  v->progress (v->done + file_done, v->total, v->stored, v->progress_data);
}

gboolean
vss_backup_set_verify (VssBackupSet *self, VssBackupSetVerifyFunc report, gpointer user_data,
                       VssBackupSetProgress progress, gpointer progress_data, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_autoptr(VssSetCopier) copier = vss_set_copier_new ();
  Verify v = { report, user_data, progress, progress_data, copier, 0, 0, 0, NULL };
  vss_set_copier_set_tick (copier, progress != NULL ? verify_tick : NULL, &v);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) chain_error = NULL;
  if (vss_backup_set_find_chain (self, &chain, &chain_error)) {
    verify_chain (&v, self, chain);
  } else {
    /* Without its chain the set cannot be restored; its own files are
     * still worth checking. */
    VerifySet vs = { &v, self, "" };
    problem (&vs, VSS_VERIFY_CHAIN, VSS_SET_MANIFEST, chain_error->message);
    v.total = stored_bytes (self);
    check_files (&vs);
  }
  if (v.problems == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "the backup set %s has %u problem%s: it is damaged, incomplete or was tampered "
               "with, and a restore from it would fail", self->dir, v.problems,
               v.problems == 1 ? "" : "s");
  return FALSE;
}
