/* vss-writer-module.c — finding, checking and loading writer plug-ins.
 *
 * Like NetworkManager's nm_utils_validate_plugin(), a file is checked
 * before it is mapped: a writer runs inside the backup process with its
 * privileges, so a module someone else could have replaced is refused.
 * Like GStreamer's gst_plugin_check_version(), the descriptor must speak
 * our ABI major and no newer minor.  Every refusal says what to do.
 *
 * A module's identity comes from its probe process (vss-writer-probe.c);
 * its code is opened here only when this process runs it itself, once,
 * and never closed: a writer thread stuck in a callback must never find
 * its code unmapped. */
#include "vss-writer-module.h"

#include <errno.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vss-config.h"
#include "document/vss-document-private.h"

/* A module as the cache keeps it. */
typedef struct {
  VssWriterModule module;               /* first: handed out as a VssWriterModule */
  VssWriterProbed probed;               /* the identity from its probe */
  const VssWriterDescriptor *opened;    /* its own, once opened in this process */
} CachedModule;

static GMutex cache_lock;
static GHashTable *cache;   /* canonical path -> CachedModule, never freed */

char *
vss_writer_module_search_path (const char *override)
{
  if (override != NULL)
    return g_strdup (override);
  const char *env = g_getenv ("VSS_WRITER_PATH");
  if (env != NULL)
    return g_strdup (env);
  return g_strdup (VSS_WRITER_DIR);
}

gboolean
vss_writer_module_check_file (const char *path, GError **error)
{
  struct stat st;
  uid_t euid = geteuid ();

  g_return_val_if_fail (path != NULL, FALSE);
  if (stat (path, &st) != 0) {
    int errsv = errno;
    g_set_error (error, VSS_ERROR,
                 errsv == EACCES ? VSS_ERROR_ACCESS_DENIED : VSS_ERROR_INVALID_ARG,
                 "writer module %s cannot be read: %s: check the path and its permissions",
                 path, g_strerror (errsv));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s is not a regular file: remove it from the writer directory",
                 path);
    return FALSE;
  }
  if (st.st_uid != 0 && st.st_uid != euid) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "writer module %s is owned by uid %u, neither root nor the current user "
                 "(uid %u): chown root %s, or remove it",
                 path, (unsigned) st.st_uid, (unsigned) euid, path);
    return FALSE;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "writer module %s is writable by group or others: chmod go-w %s", path, path);
    return FALSE;
  }
  return TRUE;
}

static gboolean
name_is_valid (const char *name)
{
  gsize len = 0;

  if (name == NULL)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++, len++) {
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_' && *p != '-')
      return FALSE;
  }
  return len >= 1 && len <= 64;
}

gboolean
vss_writer_descriptor_check (const VssWriterDescriptor *descriptor, const char *path,
                             GError **error)
{
  const VssWriterDescriptor *d = descriptor;

  if (d->abi_major != VSS_WRITER_ABI_MAJOR) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s was built for writer ABI %u.x, this libvss speaks %d.%d: "
                 "rebuild the writer against this libvss",
                 path, d->abi_major, VSS_WRITER_ABI_MAJOR, VSS_WRITER_ABI_MINOR);
    return FALSE;
  }
  if (d->abi_minor > VSS_WRITER_ABI_MINOR) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s was built for writer ABI %u.%u, newer than this libvss "
                 "(%d.%d): update libvss or rebuild the writer against this libvss",
                 path, d->abi_major, d->abi_minor, VSS_WRITER_ABI_MAJOR, VSS_WRITER_ABI_MINOR);
    return FALSE;
  }
  if (d->writer_id == NULL || !vss_uuid_is_valid (d->writer_id)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s has writer id \"%s\", which is not a UUID: "
                 "give the writer a fixed UUID (uuidgen makes one)",
                 path, d->writer_id != NULL ? d->writer_id : "(null)");
    return FALSE;
  }
  if (!name_is_valid (d->name)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s has writer name \"%s\", which is not 1 to 64 characters "
                 "of a-z, 0-9, '_' and '-': rename the writer",
                 path, d->name != NULL ? d->name : "(null)");
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (d->reserved); i++) {
    if (d->reserved[i] != NULL) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "writer module %s sets reserved descriptor slot %" G_GSIZE_FORMAT
                   ": rebuild the writer against this libvss with VSS_WRITER_DEFINE",
                   path, i);
      return FALSE;
    }
  }
  return TRUE;
}

/* Opens @path and reads its descriptor.  Called with cache_lock held. */
static const VssWriterDescriptor *
open_module (const char *path, GError **error)
{
  VssWriterEntryPoint entry = NULL;
  GModule *module = g_module_open (path, G_MODULE_BIND_LOCAL);

  if (module == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s cannot be loaded: %s: rebuild the writer or remove it",
                 path, g_module_error ());
    return NULL;
  }
  if (!g_module_symbol (module, VSS_WRITER_ENTRY_POINT, (gpointer *) &entry) || entry == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s has no entry point %s: define the writer with "
                 "VSS_WRITER_DEFINE, or remove the file from the writer directory",
                 path, VSS_WRITER_ENTRY_POINT);
    g_module_close (module);
    return NULL;
  }
  const VssWriterDescriptor *descriptor = entry ();
  if (descriptor == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer module %s returned no descriptor: define the writer with "
                 "VSS_WRITER_DEFINE", path);
    g_module_close (module);
    return NULL;
  }
  if (!vss_writer_descriptor_check (descriptor, path, error)) {
    /* Nothing of a refused module ever ran beyond its entry point. */
    g_module_close (module);
    return NULL;
  }
  /* Never closed: see the top of this file. */
  g_module_make_resident (module);
  return descriptor;
}

/* Checks, probes and (when not probed) opens @canonical.  Called with
 * cache_lock held. */
static CachedModule *
cached_module_new (const char *canonical, GError **error)
{
  VssWriterProbed probed;
  if (!vss_writer_module_check_file (canonical, error) ||
      !vss_writer_module_probe (canonical, &probed, error))
    return NULL;
  const VssWriterDescriptor *opened = probed.name == NULL ? open_module (canonical, error) : NULL;
  if (probed.name == NULL && opened == NULL)
    return NULL;
  CachedModule *cached = g_new0 (CachedModule, 1);
  cached->probed = probed;
  cached->opened = opened;
  cached->module.path = g_strdup (canonical);
  cached->module.identity = opened != NULL ? opened : &cached->probed.descriptor;
  return cached;
}

const VssWriterModule *
vss_writer_module_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *canonical = realpath (path, NULL);
  if (canonical == NULL) {
    int errsv = errno;
    g_set_error (error, VSS_ERROR,
                 errsv == EACCES ? VSS_ERROR_ACCESS_DENIED : VSS_ERROR_INVALID_ARG,
                 "writer module %s cannot be read: %s: check the path and its permissions",
                 path, g_strerror (errsv));
    return NULL;
  }

  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);
  CachedModule *cached = g_hash_table_lookup (cache, canonical);
  if (cached == NULL && (cached = cached_module_new (canonical, error)) != NULL)
    g_hash_table_insert (cache, cached->module.path, cached);
  g_mutex_unlock (&cache_lock);
  return cached != NULL ? &cached->module : NULL;
}

/* Is @opened the writer @identity said it was? */
static gboolean
same_writer (const VssWriterDescriptor *opened, const VssWriterDescriptor *identity,
             const char *path, GError **error)
{
  if (g_str_equal (opened->writer_id, identity->writer_id) &&
      g_str_equal (opened->name, identity->name))
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
               "writer module %s changed since it was checked (writer \"%s\", now \"%s\"): "
               "run the command again", path, identity->name, opened->name);
  return FALSE;
}

const VssWriterDescriptor *
vss_writer_module_open (const VssWriterModule *module, GError **error)
{
  g_return_val_if_fail (module != NULL, NULL);
  if (module->app != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer %s runs in its application (%s), not in this process",
                 module->identity->name, module->path);
    return NULL;
  }
  CachedModule *cached = (CachedModule *) module;
  g_mutex_lock (&cache_lock);
  if (cached->opened == NULL) {
    const VssWriterDescriptor *opened = open_module (module->path, error);
    if (opened != NULL && same_writer (opened, module->identity, module->path, error))
      cached->opened = opened;
  }
  const VssWriterDescriptor *descriptor = cached->opened;
  g_mutex_unlock (&cache_lock);
  return descriptor;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The ".so" files of @dir, sorted; empty when @dir cannot be read. */
static GPtrArray *
list_dir (const char *dir)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) handle = g_dir_open (dir, 0, &error);
  const char *name;

  if (handle == NULL) {
    /* A missing directory is normal: no writers installed there. */
    if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_debug ("writer directory %s does not exist", dir);
    else
      g_warning ("writer directory %s cannot be read: %s: check its permissions",
                 dir, error->message);
    return files;
  }
  while ((name = g_dir_read_name (handle)) != NULL) {
    if (g_str_has_suffix (name, ".so"))
      g_ptr_array_add (files, g_strdup (name));
  }
  g_ptr_array_sort (files, compare_names);
  return files;
}

/* Is @module's id or name already among @found?  Warns when it is. */
static gboolean
is_duplicate (GPtrArray *found, const VssWriterModule *module, const char *file)
{
  for (guint i = 0; i < found->len; i++) {
    const VssWriterModule *other = g_ptr_array_index (found, i);
    const char *what = NULL;
    if (other == module) {
      /* The same file reached twice (a link, or a directory listed twice). */
      g_debug ("writer module %s is %s again; skipped", file, other->path);
      return TRUE;
    }
    if (g_str_equal (other->identity->writer_id, module->identity->writer_id))
      what = "writer id";
    else if (g_str_equal (other->identity->name, module->identity->name))
      what = "writer name";
    if (what != NULL) {
      g_warning ("writer module %s is skipped: its %s is already used by %s (writer \"%s\"): "
                 "remove one of the two files",
                 file, what, other->path, other->identity->name);
      return TRUE;
    }
  }
  return FALSE;
}

GPtrArray *
vss_writer_module_scan (const char *search_path)
{
  GPtrArray *found = g_ptr_array_new ();
  g_auto(GStrv) dirs = NULL;

  if (search_path == NULL)
    return found;
  dirs = g_strsplit (search_path, G_SEARCHPATH_SEPARATOR_S, -1);
  for (guint d = 0; dirs[d] != NULL; d++) {
    if (*dirs[d] == '\0')
      continue;
    g_autoptr(GPtrArray) files = list_dir (dirs[d]);
    for (guint i = 0; i < files->len; i++) {
      g_autofree char *file = g_build_filename (dirs[d], g_ptr_array_index (files, i), NULL);
      g_autoptr(GError) error = NULL;
      const VssWriterModule *module = vss_writer_module_load (file, &error);
      if (module == NULL) {
        g_warning ("%s", error->message);
        continue;
      }
      if (!is_duplicate (found, module, file))
        g_ptr_array_add (found, (gpointer) module);
    }
  }
  return found;
}
