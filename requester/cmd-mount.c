/* cmd-mount.c — `vss mount SET DIR`: a native set (a chain as its full
 * tree, vss-set-tree.h) as a read-only FUSE filesystem at DIR, at its
 * original paths, until DIR is unmounted (fusermount3 -u DIR) or vss is
 * interrupted.  The data are read from the set's stored files as they
 * are; `vss verify` is what checks them. */
#include "vss-options.h"
#include "vss-set-tree.h"

#ifdef VSS_HAVE_FUSE3
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  VssSetTree *tree;
  GHashTable *dirs;       /* path → GPtrArray of child names: every directory shown */
} MountedSet;

static MountedSet *
mounted (void)
{
  return fuse_get_context ()->private_data;
}

static void
add_child (GHashTable *dirs, const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  GPtrArray *names = g_hash_table_lookup (dirs, parent);
  gboolean parent_new = names == NULL;
  if (parent_new) {
    names = g_ptr_array_new_with_free_func (g_free);
    g_hash_table_insert (dirs, g_strdup (parent), names);
  }
  g_autofree char *name = g_path_get_basename (path);
  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (names->pdata[i], name))
      return;
  g_ptr_array_add (names, g_steal_pointer (&name));
  /* the ancestors the set does not record are shown as plain directories */
  if (parent_new && !g_str_equal (parent, "/"))
    add_child (dirs, parent);
}

static GHashTable *
directories (VssSetTree *tree)
{
  GHashTable *dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  g_hash_table_insert (dirs, g_strdup ("/"), g_ptr_array_new_with_free_func (g_free));
  for (guint i = 0; i < tree->entries->len; i++) {
    VssTreeEntry *e = tree->entries->pdata[i];
    if (e->type == VSS_TREE_DIR && !g_hash_table_contains (dirs, e->path))
      g_hash_table_insert (dirs, g_strdup (e->path), g_ptr_array_new_with_free_func (g_free));
    add_child (dirs, e->path);
  }
  return dirs;
}

static int
set_getattr (const char *path, struct stat *st, struct fuse_file_info *fi)
{
  (void) fi;
  MountedSet *m = mounted ();
  VssTreeEntry *e = g_hash_table_lookup (m->tree->by_path, path);
  memset (st, 0, sizeof *st);
  st->st_nlink = 1;
  if (e == NULL) {
    if (!g_hash_table_contains (m->dirs, path))
      return -ENOENT;
    st->st_mode = S_IFDIR | 0755;
    return 0;
  }
  st->st_mode = e->mode | (e->type == VSS_TREE_DIR ? S_IFDIR : e->type == VSS_TREE_SYMLINK ? S_IFLNK : S_IFREG);
  st->st_size = e->type == VSS_TREE_SYMLINK ? (off_t) strlen (e->target) : (off_t) e->size;
  st->st_uid = e->uid;
  st->st_gid = e->gid;
  st->st_mtim.tv_sec = e->mtime_nsec / 1000000000;
  st->st_mtim.tv_nsec = e->mtime_nsec % 1000000000;
  st->st_atim = st->st_ctim = st->st_mtim;
  return 0;
}

static int
set_readdir (const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
             struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
  (void) offset; (void) fi; (void) flags;
  GPtrArray *names = g_hash_table_lookup (mounted ()->dirs, path);
  if (names == NULL)
    return -ENOTDIR;
  fill (buf, ".", NULL, 0, 0);
  fill (buf, "..", NULL, 0, 0);
  for (guint i = 0; i < names->len; i++)
    fill (buf, names->pdata[i], NULL, 0, 0);
  return 0;
}

static int
set_open (const char *path, struct fuse_file_info *fi)
{
  VssTreeEntry *e = g_hash_table_lookup (mounted ()->tree->by_path, path);
  if (e == NULL || e->type != VSS_TREE_FILE)
    return e == NULL ? -ENOENT : -EISDIR;
  if ((fi->flags & O_ACCMODE) != O_RDONLY)
    return -EROFS;
  int fd = e->data != NULL ? open (e->data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
  if (fd < 0)
    return e->data != NULL ? -errno : -EIO;
  fi->fh = (uint64_t) fd;
  fi->keep_cache = 1;   /* a set never changes */
  return 0;
}

static int
set_read (const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
  (void) path;
  ssize_t n = pread ((int) fi->fh, buf, size, offset);
  return n < 0 ? -errno : (int) n;
}

static int
set_release (const char *path, struct fuse_file_info *fi)
{
  (void) path;
  close ((int) fi->fh);
  return 0;
}

static int
set_readlink (const char *path, char *buf, size_t size)
{
  VssTreeEntry *e = g_hash_table_lookup (mounted ()->tree->by_path, path);
  if (e == NULL || e->type != VSS_TREE_SYMLINK)
    return -EINVAL;
  g_strlcpy (buf, e->target, size);
  return 0;
}

static const struct fuse_operations set_operations = {
  .getattr = set_getattr, .readdir = set_readdir, .open = set_open, .read = set_read,
  .release = set_release, .readlink = set_readlink,
};

/* Serves until DIR is unmounted or a signal (SIGINT, SIGTERM, SIGHUP)
 * unmounts it. */
static int
serve (VssCli *cli, MountedSet *m, const char *set_dir, const char *dir)
{
  char *args[] = { "vss-mount", "-o", "ro,default_permissions,fsname=vss,subtype=vss", NULL };
  struct fuse_args fargs = FUSE_ARGS_INIT (3, args);
  struct fuse *fuse = fuse_new (&fargs, &set_operations, sizeof set_operations, m);
  int code = VSS_EXIT_FAILED;
  if (fuse != NULL && fuse_mount (fuse, dir) == 0) {
    struct fuse_session *session = fuse_get_session (fuse);
    if (fuse_set_signal_handlers (session) == 0) {
      vss_cli_print (cli, "%s mounted read-only at %s; unmount with: fusermount3 -u %s\n", set_dir,
                     dir, dir);
      json_object *obj = json_object_new_object ();
      json_object_object_add (obj, "set", json_object_new_string (set_dir));
      json_object_object_add (obj, "mountpoint", json_object_new_string (dir));
      vss_cli_emit (cli, "mounted", obj);
      fflush (stdout);
      code = fuse_loop (fuse) == 0 ? VSS_EXIT_OK : VSS_EXIT_FAILED;
      fuse_remove_signal_handlers (session);
    }
    fuse_unmount (fuse);
  } else {
    g_printerr ("vss: cannot mount %s at %s (is /dev/fuse there, and fuse3 installed?)\n", set_dir, dir);
  }
  if (fuse != NULL)
    fuse_destroy (fuse);
  fuse_opt_free_args (&fargs);
  return code;
}

int
vss_cmd_mount (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "mount", "SET DIR",
                            "Show a backup set read-only at DIR, each file at its original path "
                            "(an incremental or log set\nas the tree its chain gives), until DIR is "
                            "unmounted (fusermount3 -u DIR) or vss is interrupted.", NULL, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc != 3)
    return vss_cli_usage (cli, "mount", "give a backup set directory and an empty directory to mount it on");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetTree) tree = vss_set_tree_load (argv[1], &error);
  if (tree == NULL)
    return vss_cli_fail (cli, error);
  MountedSet m = { tree, directories (tree) };
  int code = serve (cli, &m, argv[1], argv[2]);
  g_hash_table_unref (m.dirs);
  return code;
}

#else

int
vss_cmd_mount (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "mount", "SET DIR", "Show a backup set read-only at DIR (FUSE).",
                            NULL, &argc, &argv);
  if (done >= 0)
    return done;
  g_autoptr(GError) error = g_error_new (VSS_ERROR, VSS_ERROR_NOT_SUPPORTED,
                                         "this vss was built without libfuse3 (install libfuse3-dev and rebuild)");
  return vss_cli_fail (cli, error);
}

#endif
