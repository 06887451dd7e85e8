/* vss-online-common.c — server names, the backup privilege, name lists. */
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
