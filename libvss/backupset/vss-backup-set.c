/* vss-backup-set.c — opening a committed backup set (untrusted input:
 * everything is validated here once, so verify and restore can rely on
 * the model; the manifest's entries are streamed,
 * vss-set-manifest-stream.c), its accessors, and the chain rule of
 * incremental sets. */
#include "vss-backup-set-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "document/vss-document-private.h"

/* Reads the regular file @name of @dirfd (never through a symlink), at
 * most @limit bytes; ENOENT is reported as *missing. */
static gboolean
read_text (int dirfd, const char *dir, const char *name, gsize limit, char **out,
           gsize *out_len, gboolean *missing, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  *missing = fd < 0 && errno == ENOENT;
  if (fd < 0)
    return vss_set_errno_error (error, errno, "cannot open", path);
  struct stat st;
  gboolean ok = fstat (fd, &st) == 0 || vss_set_errno_error (error, errno, "cannot stat", path);
  if (ok && (!S_ISREG (st.st_mode) || (guint64) st.st_size > limit)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s is not a regular file of at most %" G_GSIZE_FORMAT " bytes: the set is damaged",
                 path, limit);
    ok = FALSE;
  }
  GString *text = g_string_sized_new (ok ? (gsize) st.st_size + 1 : 1);
  char buf[65536];
  ssize_t n = 0;
  while (ok && (n = read (fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || text->len + (gsize) n > limit)
      ok = n < 0 ? vss_set_errno_error (error, errno, "cannot read", path)
                 : (g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                                 "%s grew past its limit while read", path), FALSE);
    else
      g_string_append_len (text, buf, n);
  }
  close (fd);
  *out_len = text->len;
  *out = g_string_free (text, !ok);
  return ok;
}

/* bcd.json or files/ without a manifest: a set whose writing stopped. */
static gboolean
no_manifest (VssBackupSet *self, GError **error)
{
  struct stat st;
  gboolean started = fstatat (self->dirfd, VSS_SET_BCD, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
                     fstatat (self->dirfd, VSS_SET_FILES, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!started)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s is not a backup set (it has no manifest.json, bcd.json or files/): "
                 "give the directory a backup wrote, e.g. the --to of vss backup", self->dir);
  else
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s is not a complete backup set: it has no manifest.json (the backup "
                 "that wrote it was interrupted); make a new backup", self->dir);
  return FALSE;
}

static gboolean
load_manifest (VssBackupSet *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->dir, VSS_SET_MANIFEST, NULL);
  int fd = openat (self->dirfd, VSS_SET_MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return errno == ENOENT ? no_manifest (self, error)
                           : vss_set_errno_error (error, errno, "cannot open", path);
  struct stat st;
  gboolean ok = fstat (fd, &st) == 0 || vss_set_errno_error (error, errno, "cannot stat", path);
  if (ok && !S_ISREG (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s is not a regular file: the set is damaged", path);
    ok = FALSE;
  }
  ok = ok && vss_backup_set_load_manifest (self, fd, error);
  close (fd);
  return ok;
}

static gboolean
load_bcd (VssBackupSet *self, GError **error)
{
  gsize len = 0;
  gboolean missing = FALSE;
  if (!read_text (self->dirfd, self->dir, VSS_SET_BCD, VSS_DOCUMENT_MAX_BYTES, &self->bcd,
                  &len, &missing, error))
    return FALSE;
  g_autoptr(VssDocument) doc = vss_document_from_json (self->bcd, len, error);
  if (doc == NULL)
    g_prefix_error (error, "%s/" VSS_SET_BCD ": ", self->dir);
  return doc != NULL;
}

static gboolean
load_writers (VssBackupSet *self, GError **error)
{
  g_autofree char *dir = g_build_filename (self->dir, VSS_SET_WRITERS, NULL);
  int fd = openat (self->dirfd, VSS_SET_WRITERS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return vss_set_errno_error (error, errno, "cannot read", dir);
  }
  gboolean ok = TRUE;
  struct dirent *ent;
  while (ok && (ent = readdir (d)) != NULL) {
    if (ent->d_name[0] == '.' || !g_str_has_suffix (ent->d_name, ".json"))
      continue;
    char *text = NULL;
    gsize len = 0;
    gboolean missing = FALSE;
    ok = read_text (dirfd (d), dir, ent->d_name, VSS_DOCUMENT_MAX_BYTES, &text, &len, &missing, error);
    if (ok)
      g_hash_table_insert (self->writer_metadata,
                           g_strndup (ent->d_name, strlen (ent->d_name) - 5), text);
  }
  closedir (d);
  return ok;
}

VssBackupSet *
vss_backup_set_open (const char *dir, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_autofree char *trimmed = g_strdup (dir);
  for (gsize n = strlen (trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
    trimmed[n - 1] = '\0';
  if (g_str_has_suffix (trimmed, VSS_SET_PARTIAL_SUFFIX)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s is an incomplete backup set (the backup writing it was interrupted or "
                 "is still running); it cannot be used: make a new backup", trimmed);
    return NULL;
  }
  g_autoptr(VssBackupSet) self = g_new0 (VssBackupSet, 1);
  self->dir = g_steal_pointer (&trimmed);
  self->writer_metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->entries_fd = -1;
  self->dirfd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self->dirfd < 0) {
    int err = errno;
    g_set_error (error, VSS_ERROR, err == ENOENT ? VSS_ERROR_OBJECT_NOT_FOUND : VSS_ERROR_ACCESS_DENIED,
                 "cannot open the backup set %s: %s", self->dir, g_strerror (err));
    return NULL;
  }
  if (!load_manifest (self, error) ||
      !load_bcd (self, error) || !load_writers (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
vss_backup_set_free (VssBackupSet *self)
{
  if (self == NULL)
    return;
  if (self->dirfd >= 0)
    close (self->dirfd);
  g_free (self->dir);
  vss_manifest_free (self->manifest);
  g_free (self->bcd);
  g_clear_pointer (&self->writer_metadata, g_hash_table_unref);
  g_clear_pointer (&self->component_index, g_hash_table_unref);
  g_clear_pointer (&self->index, vss_slot_table_free);
  if (self->entries_fd >= 0)
    close (self->entries_fd);
  g_free (self);
}

const char *
vss_backup_set_get_dir (const VssBackupSet *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dir;
}

const char *
vss_backup_set_get_id (const VssBackupSet *self)
{
  return self->manifest->set_id;
}

const char *
vss_backup_set_get_manifest_sha256 (const VssBackupSet *self)
{
  return self->manifest_sha256;
}

const char *
vss_backup_set_get_consistency (const VssBackupSet *self, const char *component)
{
  g_return_val_if_fail (self != NULL && component != NULL, NULL);
  return g_hash_table_lookup (self->manifest->consistency, component);
}

const char *
vss_backup_set_get_base_id (const VssBackupSet *self)
{
  return self->manifest->base_id;
}

VssBackupType
vss_backup_set_get_backup_type (const VssBackupSet *self)
{
  return self->manifest->backup_type;
}

gint64
vss_backup_set_get_created_usec (const VssBackupSet *self)
{
  return self->manifest->created_usec;
}

const char *
vss_backup_set_get_bcd (const VssBackupSet *self)
{
  return self->bcd;
}

const char *
vss_backup_set_get_writer_metadata (const VssBackupSet *self, const char *writer_name)
{
  if (!vss_set_writer_name_ok (writer_name))
    return NULL;
  return g_hash_table_lookup (self->writer_metadata, writer_name);
}

GPtrArray *
vss_backup_set_list_components (const VssBackupSet *self)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < self->manifest->components->len; i++)
    g_ptr_array_add (out, g_ptr_array_index (self->manifest->components, i));
  return out;
}

static gboolean
chain_error (GError **error, const VssBackupSet *self, const char *message)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "the chain of %s is incomplete: %s; give every set from the full backup "
               "up to it, oldest first", self->dir, message);
  return FALSE;
}

/* A set records the SHA-256 of its base's manifest (version 2): another
 * set carrying the base's id is not the base. */
static gboolean
check_base_manifest (const VssBackupSet *set, const VssBackupSet *base, GError **error)
{
  const char *recorded = set->manifest->base_manifest_sha256;
  if (recorded == NULL || strcmp (recorded, base->manifest_sha256) == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "%s is not the base of %s: it has the base's id %s, but its manifest.json "
               "(SHA-256 %s) is not the one %s was made on (%s); the base was replaced or "
               "edited, put the original back", base->dir, set->dir, base->manifest->set_id,
               base->manifest_sha256, set->dir, recorded);
  return FALSE;
}

gboolean
vss_backup_set_check_chain (VssBackupSet *self, GPtrArray *chain, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->manifest->base_id == NULL)
    return TRUE;
  if (chain == NULL || chain->len == 0) {
    g_autofree char *msg = g_strdup_printf ("it is based on set %s, which was not given",
                                            self->manifest->base_id);
    return chain_error (error, self, msg);
  }
  const VssBackupSet *first = g_ptr_array_index (chain, 0);
  if (first->manifest->base_id != NULL) {
    g_autofree char *msg = g_strdup_printf ("%s is not a full backup (its base %s is missing)",
                                            first->dir, first->manifest->base_id);
    return chain_error (error, self, msg);
  }
  for (guint i = 0; i < chain->len; i++) {
    const VssBackupSet *set = i + 1 < chain->len ? g_ptr_array_index (chain, i + 1) : self;
    const VssBackupSet *base = g_ptr_array_index (chain, i);
    if (g_strcmp0 (set->manifest->base_id, base->manifest->set_id) != 0) {
      g_autofree char *msg = g_strdup_printf ("%s is based on set %s, but the set before it "
                                              "is %s (%s)", set->dir, set->manifest->base_id,
                                              base->manifest->set_id, base->dir);
      return chain_error (error, self, msg);
    }
    if (!check_base_manifest (set, base, error))
      return FALSE;
  }
  return TRUE;
}

char *
vss_backup_set_component_key (const char *writer_name, const char *logical_path, const char *name)
{
  g_return_val_if_fail (writer_name != NULL && name != NULL, NULL);
  if (logical_path == NULL || *logical_path == '\0')
    return g_strdup_printf ("%s/%s", writer_name, name);
  return g_strdup_printf ("%s/%s/%s", writer_name, logical_path, name);
}
