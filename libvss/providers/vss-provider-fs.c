/* vss-provider-fs.c — filesystem facts and read-only images for the
 * providers (see vss-provider-fs.h). */
#include "vss-provider-fs.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/vss-fs.h"

char *
vss_provider_fs_root (const char *path, GError **error)
{
  struct stat st;
  if (lstat (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "cannot snapshot %s: %s", path, g_strerror (saved));
    return NULL;
  }
  /* A file's filesystem begins at or above its directory. */
  g_autofree char *dir = S_ISDIR (st.st_mode) ? g_strdup (path) : g_path_get_dirname (path);
  if (lstat (dir, &st) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "cannot snapshot %s: %s", dir, g_strerror (saved));
    return NULL;
  }
  dev_t dev = st.st_dev;
  while (!g_str_equal (dir, "/")) {
    g_autofree char *parent = g_path_get_dirname (dir);
    struct stat pst;
    if (lstat (parent, &pst) != 0 || pst.st_dev != dev)
      break;
    g_free (dir);
    dir = g_steal_pointer (&parent);
  }
  return g_steal_pointer (&dir);
}

gboolean
vss_provider_fs_is (const char *path, const char *type)
{
  g_autofree char *name = vss_fs_type_name (path);
  return g_strcmp0 (name, type) == 0;
}

/* One line of mountinfo: "36 35 98:0 /root /mnt rw,noatime master:1 -
 * ext4 /dev/sda1 rw"; octal escapes (\040 for a space) undone. */
typedef struct {
  char *device;       /* "98:0" */
  char *mount_point;
  char *type;
  char *source;
} MountLine;

static gboolean
parse_mount_line (const char *line, MountLine *out)
{
  const char *sep = strstr (line, " - ");
  if (sep == NULL)
    return FALSE;
  g_auto(GStrv) head = g_strsplit (line, " ", 6);
  g_auto(GStrv) tail = g_strsplit (sep + 3, " ", 3);
  if (g_strv_length (head) < 6 || g_strv_length (tail) < 2)
    return FALSE;
  out->device = g_strdup (head[2]);
  out->mount_point = g_strcompress (head[4]);
  out->type = g_strdup (tail[0]);
  out->source = g_strcompress (tail[1]);
  return TRUE;
}

static void
mount_line_clear (MountLine *line)
{
  g_free (line->device);
  g_free (line->mount_point);
  g_free (line->type);
  g_free (line->source);
  memset (line, 0, sizeof *line);
}

gboolean
vss_provider_fs_mount_source (dev_t dev, const char *mount_point, char **out_source,
                              char **out_type)
{
  g_autofree char *mountinfo = NULL;
  if (!g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL))
    return FALSE;
  g_autofree char *want = g_strdup_printf ("%u:%u", major (dev), minor (dev));
  g_auto(GStrv) lines = g_strsplit (mountinfo, "\n", -1);
  MountLine found = { 0 };
  for (char **text = lines; *text != NULL; text++) {
    MountLine line = { 0 };
    if (!parse_mount_line (*text, &line) || !g_str_equal (line.device, want)) {
      mount_line_clear (&line);
      continue;
    }
    gboolean exact = mount_point != NULL && g_str_equal (line.mount_point, mount_point);
    if (found.device == NULL || exact) {
      mount_line_clear (&found);
      found = line;
    } else {
      mount_line_clear (&line);
    }
    if (exact)
      break;
  }
  if (found.device == NULL)
    return FALSE;
  if (out_source != NULL)
    *out_source = g_steal_pointer (&found.source);
  if (out_type != NULL)
    *out_type = g_steal_pointer (&found.type);
  mount_line_clear (&found);
  return TRUE;
}

gboolean
vss_provider_seal (const char *image, GError **error)
{
  if (geteuid () == 0) {
    /* Root ignores permission bits, so only a read-only mount stops it.
     * Binding first and then remounting is the only way to get a
     * read-only view of part of a filesystem. */
    if (mount (image, image, NULL, MS_BIND, NULL) == 0) {
      if (mount (NULL, image, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0)
        return TRUE;
      int saved = errno;
      umount2 (image, MNT_DETACH);
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                   "cannot make %s read-only: remount: %s", image, g_strerror (saved));
      return FALSE;
    }
    /* No CAP_SYS_ADMIN (a container): fall through to the permission bits. */
    g_debug ("read-only bind mount of %s refused (%s); clearing write bits instead",
             image, g_strerror (errno));
  }
  struct stat st;
  if (lstat (image, &st) != 0 || chmod (image, st.st_mode & 07555) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "cannot make %s read-only: %s", image, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

void
vss_provider_unseal (const char *image)
{
  if (geteuid () == 0 && umount2 (image, MNT_DETACH | UMOUNT_NOFOLLOW) != 0 &&
      errno != EINVAL && errno != ENOENT)
    g_debug ("cannot unmount %s: %s", image, g_strerror (errno));
  struct stat st;
  /* The owner needs write permission on the top directory to empty it. */
  if (lstat (image, &st) == 0 && S_ISDIR (st.st_mode) && chmod (image, (st.st_mode & 07777) | 0700) != 0)
    g_debug ("cannot make %s writable for removal: %s", image, g_strerror (errno));
}

void
vss_provider_set_timeout_error (GError **error, const char *what, gint64 deadline_usec,
                                gint64 started_usec)
{
  gint64 allowed_ms = MAX (deadline_usec - started_usec, (gint64) 0) / 1000;
  g_set_error (error, VSS_ERROR, VSS_ERROR_HOLD_WRITES_TIMEOUT,
               "%s did not finish within the hold limit (%" G_GINT64_FORMAT " ms were left); "
               "the partial snapshot was removed; raise the hold limit or snapshot less data",
               what, allowed_ms);
}

char *
vss_provider_alternative (const VssProvider *self, const char *path)
{
  const VssProvider *const *providers = vss_provider_list ();
  for (gsize i = 0; providers[i] != NULL; i++) {
    if (providers[i] == self || providers[i]->cost >= self->cost)
      continue;
    g_autoptr(GError) refusal = NULL;
    if (!providers[i]->supports (path, &refusal))
      continue;
    g_autofree char *fs = vss_fs_type_name (path);
    const char *why = g_str_equal (providers[i]->name, "reflink") ? " with reflink"
                      : g_str_equal (providers[i]->name, "btrfs") ? ", a subvolume snapshot takes milliseconds"
                      : "";
    return g_strdup_printf ("%s would work: %s is on %s%s", providers[i]->name, path, fs, why);
  }
  return NULL;
}

gboolean
vss_provider_expose (VssSnapshot *snapshot, char *image, GError **error)
{
  if (!vss_provider_seal (image, error)) {
    vss_fs_remove_tree (image, NULL);
    g_free (image);
    return FALSE;
  }
  g_free (snapshot->snapshot_path);
  snapshot->snapshot_path = image;
  snapshot->committed = TRUE;
  snapshot->created_usec = g_get_real_time ();
  return TRUE;
}
