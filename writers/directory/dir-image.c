/* dir-image.c — the directory writer's images (vss_writer_serve_image):
 * when the requester reads images, freeze pins each chosen environment
 * (a read transaction begun while the hold process holds the writer lock,
 * so it sees exactly the frozen state) and post_snapshot serves data.mdb
 * from the pin in two parts (vss_writer_serve_image_parts): the two meta
 * pages as the pin saw them, then data.mdb's descriptor for the pages up
 * to the last one in use, which the requester copies itself (so a sparse
 * 8 GiB map with 400 MB in use is 400 MB, copied once).  No filesystem
 * snapshot is taken of an environment; lock.mdb is not kept (LMDB makes
 * it anew). */
#include "dir-image.h"

#include "dir-pin.h"

void
dir_image_release_all (DirWriter *self)
{
  g_clear_pointer (&self->pins, g_hash_table_unref);
}

gboolean
dir_image_pin_all (VssWriter *writer, DirWriter *self)
{
  dir_image_release_all (self);
  if (!vss_writer_get_writer_images (writer))
    return TRUE;
  self->pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) dir_pinned_free);
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    const char *name = vss_component_get_name (vss_writer_get_component (writer, i));
    DirEnv *env = dir_writer_find_component (self, name);
    g_autoptr(GError) error = NULL;
    DirPinned *pinned = env != NULL ? dir_pin_env (env, TRUE, &error) : NULL;
    if (env != NULL && pinned == NULL) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
    if (pinned != NULL)
      g_hash_table_insert (self->pins, g_strdup (name), pinned);
  }
  return TRUE;
}

static gboolean
serve_env (VssWriter *writer, VssComponent *component, DirEnv *env, DirPinned *pinned,
           GError **error)
{
  g_autofree char *data = g_build_filename (env->path, "data.mdb", NULL);
  g_autofree char *id = g_build_filename (env->path, DIR_ID_FILE, NULL);
  /* The live metas may have moved on since the pin; the pages the pin
   * reads cannot change until it is released, after the requester closed
   * the image. */
  VssWriterImagePart parts[] = {
    { .bytes = pinned->metas, .fd = -1, .length = pinned->metas_size },
    { .fd = pinned->fd, .offset = pinned->metas_size, .length = pinned->size - pinned->metas_size },
  };
  /* the identity file never changes while the environment lives: read live */
  return vss_writer_serve_image_parts (writer, component, data, parts, G_N_ELEMENTS (parts),
                                       pinned, (GDestroyNotify) dir_pinned_free, error) &&
         vss_component_add_post_snapshot_file (component, id, error);
}

gboolean
dir_image_serve_all (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  for (guint i = 0; self->pins != NULL && i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    const char *name = vss_component_get_name (component);
    DirEnv *env = dir_writer_find_component (self, name);
    gpointer key = NULL, pinned = NULL;
    if (env == NULL || !g_hash_table_steal_extended (self->pins, name, &key, &pinned))
      continue;
    g_free (key);
    g_autoptr(GError) error = NULL;
    /* from here the image owns the pin, also when this fails */
    if (!serve_env (writer, component, env, pinned, &error)) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  dir_image_release_all (self);
  return TRUE;
}
