/* vss-online-common.c — server names, the backup privilege, name lists,
 * finding the writer behind an API and its live handles. */
#include "vss-online-common.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
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

/* The canonical (DNS) name of this host, from the local resolver. */
static char *
this_fqdn (void)
{
  struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *info = NULL;
  if (getaddrinfo (g_get_host_name (), NULL, &hints, &info) != 0)
    return NULL;
  char *fqdn = info->ai_canonname != NULL ? g_strdup (info->ai_canonname) : NULL;
  freeaddrinfo (info);
  return fqdn;
}

static gboolean
is_local_address (const struct sockaddr *address, struct ifaddrs *interfaces)
{
  if (address->sa_family == AF_INET &&
      (ntohl (((const struct sockaddr_in *) address)->sin_addr.s_addr) >> 24) == 127)
    return TRUE;
  if (address->sa_family == AF_INET6 &&
      IN6_IS_ADDR_LOOPBACK (&((const struct sockaddr_in6 *) address)->sin6_addr))
    return TRUE;
  for (struct ifaddrs *i = interfaces; i != NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != address->sa_family)
      continue;
    if (address->sa_family == AF_INET &&
        ((const struct sockaddr_in *) address)->sin_addr.s_addr ==
        ((const struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr)
      return TRUE;
    if (address->sa_family == AF_INET6 &&
        memcmp (&((const struct sockaddr_in6 *) address)->sin6_addr,
                &((const struct sockaddr_in6 *) i->ifa_addr)->sin6_addr,
                sizeof (struct in6_addr)) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Every address @name resolves to is one of this host's.  Names under
 * the special-use .invalid domain never resolve (RFC 6761): not asked. */
static gboolean
resolves_here (const char *name)
{
  if (g_str_has_suffix (name, ".invalid") || g_str_has_suffix (name, ".invalid."))
    return FALSE;
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *info = NULL;
  struct ifaddrs *interfaces = NULL;
  if (getaddrinfo (name, NULL, &hints, &info) != 0)
    return FALSE;
  getifaddrs (&interfaces);
  gboolean local = TRUE;
  for (struct addrinfo *a = info; local && a != NULL; a = a->ai_next)
    local = is_local_address (a->ai_addr, interfaces);
  freeifaddrs (interfaces);
  freeaddrinfo (info);
  return local;
}

/* A name without a dot is this host's short (NetBIOS-style) name or
 * localhost; a name with one is this host's DNS name, or one the local
 * resolver maps to this host: a first label that matches is not enough
 * ("<host>.other.domain" is another computer). */
static gboolean
names_this_host (const char *name)
{
  const char *host = g_get_host_name ();
  if (g_ascii_strcasecmp (name, host) == 0 || g_ascii_strcasecmp (name, "localhost") == 0)
    return TRUE;
  if (strchr (name, '.') == NULL) {
    gsize short_len = strcspn (host, ".");
    return strlen (name) == short_len && g_ascii_strncasecmp (name, host, short_len) == 0;
  }
  g_autofree char *fqdn = this_fqdn ();
  if (fqdn != NULL && g_ascii_strcasecmp (name, fqdn) == 0)
    return TRUE;
  return resolves_here (name);
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

#define CAP_DAC_OVERRIDE_BIT 1

/* Capability @bit in CapEff of /proc/self/status. */
static gboolean
has_capability (int bit)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return FALSE;
  const char *line = strstr (status, "\nCapEff:");
  if (line == NULL)
    return FALSE;
  guint64 caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps & (G_GUINT64_CONSTANT (1) << bit)) != 0;
}

gboolean
vss_online_has_override_privilege (void)
{
  return geteuid () == 0 || has_capability (CAP_DAC_OVERRIDE_BIT);
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
    if (g_strcmp0 (module->identity->name, name) == 0)
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
