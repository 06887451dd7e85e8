/* vss-transport-select.c — which transport runs a writer.
 *
 * Plug-ins run in a helper process by default, so that a crashing or
 * hanging writer cannot take the coordinator down; "inproc" (threads in
 * this process) stays for tests and small embedders that trust their
 * writers and want no extra processes. */
#include "vss-writer-module.h"

gboolean
vss_transport_name_is_valid (const char *name)
{
  return g_strcmp0 (name, "inproc") == 0 || g_strcmp0 (name, "helper") == 0;
}

static const char *
chosen_name (const char *name)
{
  if (name != NULL)
    return name;
  const char *env = g_getenv ("VSS_WRITER_TRANSPORT");
  if (env == NULL || *env == '\0')
    return "helper";
  if (!vss_transport_name_is_valid (env)) {
    g_warning ("VSS_WRITER_TRANSPORT=%s is neither \"inproc\" nor \"helper\"; using \"helper\"", env);
    return "helper";
  }
  return env;
}

VssTransport *
vss_transport_new (const VssWriterModule *module, const char *instance_id, const char *name)
{
  g_return_val_if_fail (module != NULL, NULL);
  if (module->app != NULL)
    return vss_transport_app_new (module, instance_id);
  if (g_str_equal (chosen_name (name), "inproc"))
    return vss_transport_inproc_new (module, instance_id);
  return vss_transport_helper_new (module, instance_id);
}
