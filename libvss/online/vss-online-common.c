/* vss-online-common.c — server names, the backup privilege, name lists,
 * finding the writer behind an API and its live handles. */
#include "vss-online-common.h"

#include <string.h>
#include <unistd.h>

/* RFC 1123 labels: letters, digits, '-' (and '.' between labels). */
static gboolean
is_valid_host_name (const char *name)
{
  if (*name == '\0' || strlen (name) > 253)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
names_this_host (const char *name)
{
  const char *host = g_get_host_name ();
  gsize short_len = strcspn (host, ".");
  if (g_ascii_strcasecmp (name, host) == 0 || g_ascii_strcasecmp (name, "localhost") == 0)
    return TRUE;
  /* the NetBIOS-style short name, and a short name given for an FQDN host */
  gsize name_short = strcspn (name, ".");
  return name_short == short_len && g_ascii_strncasecmp (name, host, short_len) == 0 &&
         (name[name_short] == '\0' || host[short_len] == '\0');
}

VssServerKind
vss_online_classify_server (const char *server)
{
  if (server == NULL)
    return VSS_SERVER_LOCAL;
  while (*server == '\\')
    server++;
  if (*server == '\0')
    return VSS_SERVER_LOCAL;
  if (!is_valid_host_name (server))
    return VSS_SERVER_INVALID_NAME;
  return names_this_host (server) ? VSS_SERVER_LOCAL : VSS_SERVER_OTHER;
}

/* CapEff from /proc/self/status; bit 2 is CAP_DAC_READ_SEARCH. */
static gboolean
has_dac_read_search (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return FALSE;
  const char *line = strstr (status, "\nCapEff:");
  if (line == NULL)
    return FALSE;
  guint64 caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps & (G_GUINT64_CONSTANT (1) << 2)) != 0;
}

gboolean
vss_online_has_backup_privilege (void)
{
  return geteuid () == 0 || has_dac_read_search ();
}

char *
vss_online_multi_sz (GPtrArray *names, const guint8 *types, guint32 *out_size)
{
  GByteArray *bytes = g_byte_array_new ();
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    g_byte_array_append (bytes, &types[i], 1);
    g_byte_array_append (bytes, (const guint8 *) name, strlen (name) + 1);
  }
  const guint8 end = 0;
  g_byte_array_append (bytes, &end, 1);
  if (names->len == 0)
    g_byte_array_append (bytes, &end, 1);
  *out_size = bytes->len;
  return (char *) g_byte_array_free (bytes, FALSE);
}

const VssWriterModule *
vss_online_find_writer (const char *name, char **out_search_path)
{
  g_autofree char *search = vss_writer_module_search_path (NULL);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (search);
  const VssWriterModule *found = NULL;
  for (guint i = 0; found == NULL && i < modules->len; i++) {
    const VssWriterModule *module = g_ptr_array_index (modules, i);
    if (g_strcmp0 (module->descriptor->name, name) == 0)
      found = module;
  }
  if (out_search_path != NULL)
    *out_search_path = g_steal_pointer (&search);
  return found;
}

static GMutex handles_lock;
static GHashTable *handles;       /* handle → the name of its API */

void
vss_online_handle_register (gpointer handle, const char *api)
{
  g_mutex_lock (&handles_lock);
  if (handles == NULL)
    handles = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (handles, handle, (gpointer) api);
  g_mutex_unlock (&handles_lock);
}

void
vss_online_handle_unregister (gpointer handle)
{
  g_mutex_lock (&handles_lock);
  if (handles != NULL)
    g_hash_table_remove (handles, handle);
  g_mutex_unlock (&handles_lock);
}

gboolean
vss_online_handle_is_live (gconstpointer handle, const char *api)
{
  g_mutex_lock (&handles_lock);
  gboolean live = handle != NULL && handles != NULL &&
                  g_strcmp0 (g_hash_table_lookup (handles, handle), api) == 0;
  g_mutex_unlock (&handles_lock);
  return live;
}
