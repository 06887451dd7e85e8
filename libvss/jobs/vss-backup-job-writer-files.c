/* vss-backup-job-writer-files.c — what a writer says about its files beyond
 * its file sets, applied while a component is copied into the set: the
 * files it excludes, the file sets of its other components nested inside
 * this one's (the inner component owns them), and the files it provides
 * after the snapshot. */
#include "vss-backup-job-private.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* @path strictly below @dir? */
static gboolean
is_strictly_below (const char *path, const char *dir)
{
  gsize n = g_str_equal (dir, "/") ? 0 : strlen (dir);
  return strncmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

gboolean
vss_backup_job_file_sets_nest (const char *a, const char *b)
{
  return is_strictly_below (a, b) || is_strictly_below (b, a);
}

/* Every file-set path of @c (file group, database and log files). */
static GPtrArray *
file_set_files (const VssWmComponent *c)
{
  GPtrArray *files = g_ptr_array_new ();
  for (guint i = 0; i < vss_wm_component_get_file_count (c); i++)
    g_ptr_array_add (files, (gpointer) vss_wm_component_get_file (c, i));
  for (guint i = 0; i < vss_wm_component_get_database_file_count (c); i++)
    g_ptr_array_add (files, (gpointer) vss_wm_component_get_database_file (c, i));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    g_ptr_array_add (files, (gpointer) vss_wm_component_get_log_file (c, i));
  return files;
}

/* A name as a glob that matches only itself. */
static char *
glob_escape (const char *name)
{
  GString *out = g_string_new (NULL);
  for (const char *p = name; *p != '\0'; p++) {
    if (strchr ("*?[]\\", *p) != NULL)
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

/* The directory @inner, of another component, inside a file set of @outer
 * is left out of @outer: each file is stored once, by its own component
 * (a database's log directory inside its data directory). */
static void
exclude_inner_file_sets (VssBackupSetWriter *set, const VssWriterMetadata *md,
                         const VssWmComponent *outer)
{
  g_autoptr(GPtrArray) outer_files = file_set_files (outer);
  for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
    const VssWmComponent *other = vss_writer_metadata_get_component (md, c);
    g_autoptr(GPtrArray) inner_files = other != outer ? file_set_files (other) : g_ptr_array_new ();
    for (guint i = 0; i < inner_files->len; i++) {
      const char *inner = vss_wm_file_get_path (g_ptr_array_index (inner_files, i));
      for (guint o = 0; o < outer_files->len; o++) {
        if (!is_strictly_below (inner, vss_wm_file_get_path (g_ptr_array_index (outer_files, o))))
          continue;
        g_autofree char *dir = g_path_get_dirname (inner);
        g_autofree char *name = g_path_get_basename (inner);
        g_autofree char *spec = glob_escape (name);
        vss_backup_set_writer_add_exclude_file (set, dir, spec, FALSE);
      }
    }
  }
}

void
vss_backup_job_set_writer_excludes (VssBackupSetWriter *set, const VssSelected *s)
{
  vss_backup_set_writer_clear_exclude_files (set);
  for (guint i = 0; i < vss_writer_metadata_get_exclude_file_count (s->metadata); i++) {
    const VssWmFile *x = vss_writer_metadata_get_exclude_file (s->metadata, i);
    vss_backup_set_writer_add_exclude_file (set, vss_wm_file_get_path (x),
                                            vss_wm_file_get_filespec (x),
                                            vss_wm_file_get_recursive (x));
  }
  exclude_inner_file_sets (set, s->metadata, s->component);
}

/* ---- data provided after the snapshot ---- */

/* The component @s as the writers left it in the document. */
static const VssComponent *
find_bcd_component (VssBackupJob *job, const VssSelected *s)
{
  guint count = 0;
  if (!vss_backup_components_get_component_count (job->bc, &count, NULL))
    return NULL;
  const char *lp = vss_wm_component_get_logical_path (s->component);
  for (guint i = 0; i < count; i++) {
    const char *writer_id = NULL;
    const VssComponent *c = vss_backup_components_get_component (job->bc, i, &writer_id, NULL, NULL);
    const char *clp = c != NULL ? vss_component_get_logical_path (c) : NULL;
    if (c != NULL && g_str_equal (writer_id, vss_writer_metadata_get_writer_id (s->metadata)) &&
        g_strcmp0 (clp != NULL ? clp : "", lp != NULL ? lp : "") == 0 &&
        g_str_equal (vss_component_get_name (c), vss_wm_component_get_name (s->component)))
      return c;
  }
  return NULL;
}

/* Could a file set of the component hold @path?  Restore puts back only
 * what lies inside them. */
static gboolean
in_file_sets (const VssWmComponent *c, const char *path)
{
  g_autoptr(GPtrArray) files = file_set_files (c);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  for (guint i = 0; i < files->len; i++) {
    const VssWmFile *f = g_ptr_array_index (files, i);
    const char *root = vss_wm_file_get_path (f);
    gboolean placed = g_str_equal (dir, root) ||
                      (vss_wm_file_get_recursive (f) && is_strictly_below (dir, root));
    if (placed && fnmatch (vss_wm_file_get_filespec (f), name, 0) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean
vss_backup_job_is_image (const VssBackupJob *job, const VssSelected *s)
{
  return job->images && vss_wm_component_is_image (s->component);
}

/* How long an image may send nothing before its component fails. */
#define IMAGE_STALL_SECONDS 60

/* The writer's socket for an image, connected; -1 with @error. */
static int
connect_image (const char *source, const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int err = ENAMETOOLONG;
  int fd = strlen (source) < sizeof addr.sun_path
               ? socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
  if (fd >= 0) {
    strcpy (addr.sun_path, source);
    int buffer = 4 * 1024 * 1024;   /* the writer runs ahead while we hash */
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    /* a writer that stops sending (stopped, hung) fails the component */
    struct timeval stall = { .tv_sec = IMAGE_STALL_SECONDS };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof stall);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0)
      return fd;
    err = errno;
    close (fd);
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
               "cannot read the writer's image of %s from %s: %s (did its writer fail, or "
               "drop the image after its pin timeout?)", path, source, g_strerror (err));
  return -1;
}

static gboolean
add_image (VssBackupSetWriter *set, const VssSelected *s, const char *path, const char *source,
           guint64 size, GError **error)
{
  int fd = connect_image (source, path, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = vss_backup_set_writer_add_stream (set, s->key, fd, size, path, error);
  close (fd);
  return ok;
}

gboolean
vss_backup_job_add_post_snapshot_files (VssBackupJob *job, VssBackupSetWriter *set,
                                        const VssSelected *s, GError **error)
{
  const VssComponent *c = find_bcd_component (job, s);
  guint n = c != NULL ? vss_component_get_post_snapshot_file_count (c) : 0;
  guint images = 0;
  for (guint i = 0; i < n; i++) {
    const char *path = vss_component_get_post_snapshot_file (c, i);
    guint64 size = 0;
    const char *source = vss_component_get_post_snapshot_source (c, i, &size);
    if (!in_file_sets (s->component, path)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "the writer provided %s after the snapshot, which is in none of the "
                   "component's file sets, so a restore could not put it back", path);
      return FALSE;
    }
    gboolean ok = source != NULL ? add_image (set, s, path, source, size, error)
                                 : vss_backup_set_writer_add_file (set, s->key, path, path,
                                                                   job->base_set, error);
    if (!ok)
      return FALSE;
    images += source != NULL;
  }
  if (images == 0 && vss_backup_job_is_image (job, s)) {
    /* no snapshot was taken of it: without an image there is nothing */
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "its writer declared it an image but served none, and no snapshot holds "
                 "its files");
    return FALSE;
  }
  return TRUE;
}

/* What the writer of @s provided after the snapshot takes: its images'
 * sizes (known from post_snapshot on) and, for a component in no
 * snapshot, the live files' (the others stand for snapshot files, which
 * the roots' size counts already). */
static guint64
component_post_snapshot_bytes (VssBackupJob *job, const VssSelected *s)
{
  gboolean in_no_snapshot = vss_backup_job_is_image (job, s);
  const VssComponent *c = find_bcd_component (job, s);
  guint n = c != NULL ? vss_component_get_post_snapshot_file_count (c) : 0;
  guint64 total = 0;
  for (guint i = 0; i < n; i++) {
    guint64 size = 0;
    struct stat st;
    if (vss_component_get_post_snapshot_source (c, i, &size) != NULL)
      total += size;
    else if (in_no_snapshot && stat (vss_component_get_post_snapshot_file (c, i), &st) == 0 &&
             S_ISREG (st.st_mode))
      total += (guint64) st.st_size;
  }
  return total;
}

guint64
vss_backup_job_post_snapshot_bytes (VssBackupJob *job)
{
  guint64 total = 0;
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    if (!vss_backup_job_writer_failed (job, vss_writer_metadata_get_writer_name (s->metadata)))
      total += component_post_snapshot_bytes (job, s);
  }
  return total;
}
