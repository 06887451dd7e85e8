/* loopfs.c — see loopfs.h. */
#include "loopfs.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <unistd.h>

gboolean
loopfs_can_run (const char **reason)
{
  if (geteuid () != 0) {
    *reason = "needs root: loop devices and mounts (run the 'root' suite as root)";
    return FALSE;
  }
  return TRUE;
}

gboolean
loopfs_run (const char *const *argv, char **out_stdout, GError **error)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0], g_strstrip (err));
    return FALSE;
  }
  if (out_stdout != NULL)
    *out_stdout = g_strdup (g_strstrip (out));
  return TRUE;
}

static gboolean
make_fs (LoopFs *self, const char *type, GError **error)
{
  g_autofree char *mkfs = g_strconcat ("mkfs.", type, NULL);
  /* -q everywhere; ext4 and btrfs also need -F/-f only on reuse. */
  const char *const argv[] = { mkfs, "-q", self->device, NULL };
  return loopfs_run (argv, NULL, error);
}

LoopFs *
loopfs_new (const char *type, guint size_mib, GError **error)
{
  g_autoptr(LoopFs) self = g_new0 (LoopFs, 1);
  self->dir = g_dir_make_tmp ("vss-loopfs-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  self->image = g_build_filename (self->dir, "fs.img", NULL);
  self->mountpoint = g_build_filename (self->dir, "mnt", NULL);
  g_mkdir (self->mountpoint, 0755);
  int fd = g_open (self->image, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate (fd, (off_t) size_mib * 1024 * 1024) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make %s: %s", self->image,
                 g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return NULL;
  }
  close (fd);
  const char *const attach[] = { "losetup", "-f", "--show", self->image, NULL };
  if (!loopfs_run (attach, &self->device, error) || !make_fs (self, type, error))
    return NULL;
  if (mount (self->device, self->mountpoint, type, 0, NULL) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot mount %s on %s: %s", self->device,
                 self->mountpoint, g_strerror (errno));
    return NULL;
  }
  self->mounted = TRUE;
  return g_steal_pointer (&self);
}

void
loopfs_free (LoopFs *self)
{
  if (self == NULL)
    return;
  /* Read-only bind mounts a failed test left inside go with the lazy
   * unmount of the filesystem itself. */
  if (self->mounted && umount2 (self->mountpoint, 0) != 0 &&
      umount2 (self->mountpoint, MNT_DETACH) != 0)
    g_printerr ("# cannot unmount %s: %s\n", self->mountpoint, g_strerror (errno));
  if (self->device != NULL) {
    const char *const detach[] = { "losetup", "-d", self->device, NULL };
    g_autoptr(GError) error = NULL;
    if (!loopfs_run (detach, NULL, &error))
      g_printerr ("# %s\n", error->message);
  }
  if (self->image != NULL)
    g_unlink (self->image);
  if (self->mountpoint != NULL)
    g_rmdir (self->mountpoint);
  if (self->dir != NULL)
    g_rmdir (self->dir);
  g_free (self->dir);
  g_free (self->image);
  g_free (self->device);
  g_free (self->mountpoint);
  g_free (self);
}
