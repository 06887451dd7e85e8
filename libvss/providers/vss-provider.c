/* vss-provider.c — the table of built-in providers and the snapshot record
 * (see vss-provider.h). */
#include "vss-provider.h"

#include <errno.h>
#include <sys/stat.h>

#include "util/vss-fs.h"

/* Cheapest first: vss_provider_choose() takes the first that supports a
 * path.  A new provider (btrfs, reflink) is one more line here.  fsfreeze
 * comes last and is only ever named: it runs a command the user configures. */
static const VssProvider *const providers[] = {
  &vss_provider_btrfs,
  &vss_provider_reflink,
  &vss_provider_copy,
  &vss_provider_fsfreeze,
  NULL,
};

const VssProvider *const *
vss_provider_list (void)
{
  return providers;
}

static char *
known_names (void)
{
  g_autoptr(GString) names = g_string_new (NULL);
  for (gsize i = 0; providers[i] != NULL; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", providers[i]->name);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

const VssProvider *
vss_provider_lookup (const char *name, GError **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  for (gsize i = 0; providers[i] != NULL; i++) {
    if (g_strcmp0 (providers[i]->name, name) == 0)
      return providers[i];
  }
  g_autofree char *known = known_names ();
  g_set_error (error, VSS_ERROR, VSS_ERROR_PROVIDER_NOT_REGISTERED,
               "unknown provider \"%s\" (known: %s)", name, known);
  return NULL;
}

const VssProvider *
vss_provider_choose (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  struct stat st;
  if (lstat (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "cannot snapshot %s: %s", path, g_strerror (saved));
    return NULL;
  }
  /* Keep every refusal: when none fits, the user needs all the reasons. */
  g_autoptr(GString) reasons = g_string_new (NULL);
  for (gsize i = 0; providers[i] != NULL; i++) {
    g_autoptr(GError) refusal = NULL;
    if (providers[i]->by_name_only)
      continue;
    if (providers[i]->supports (path, &refusal))
      return providers[i];
    g_string_append_printf (reasons, "; %s: %s", providers[i]->name,
                            refusal != NULL ? refusal->message : "not supported");
  }
  g_autofree char *fs = vss_fs_type_name (path);
  g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED,
               "no snapshot provider supports %s on a %s filesystem%s", path, fs, reasons->str);
  return NULL;
}

VssSnapshot *
vss_snapshot_new (const char *snapshot_set_id, const char *original_path,
                  const VssProvider *provider, VssSnapshotContext context)
{
  g_return_val_if_fail (snapshot_set_id != NULL && original_path != NULL, NULL);
  g_return_val_if_fail (provider != NULL, NULL);
  VssSnapshot *self = g_new0 (VssSnapshot, 1);
  self->snapshot_id = g_uuid_string_random ();
  self->snapshot_set_id = g_strdup (snapshot_set_id);
  self->original_path = g_strdup (original_path);
  self->provider = provider;
  self->context = context;
  return self;
}

void
vss_snapshot_free (VssSnapshot *self)
{
  if (self == NULL)
    return;
  g_free (self->snapshot_id);
  g_free (self->snapshot_set_id);
  g_free (self->original_path);
  g_free (self->storage_root);
  g_free (self->snapshot_path);
  g_free (self->storage_path);
  g_free (self->provider_data);
  g_free (self);
}

VssSnapshotProp *
vss_snapshot_to_prop (const VssSnapshot *self)
{
  VssSnapshotProp *prop = g_new0 (VssSnapshotProp, 1);
  prop->snapshot_id = g_strdup (self->snapshot_id);
  prop->snapshot_set_id = g_strdup (self->snapshot_set_id);
  prop->original_path = g_strdup (self->original_path);
  prop->snapshot_path = self->committed ? g_strdup (self->snapshot_path) : NULL;
  prop->provider = g_strdup (self->provider->name);
  prop->context = self->context;
  prop->created_usec = self->created_usec;
  return prop;
}
