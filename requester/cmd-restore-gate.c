/* cmd-restore-gate.c — `vss restore-gate PATH`: may this store be opened
 * for service?  No while a restore of it has not completed (the interlock
 * that a restore places: the directory writer's, vss_ds_restore_register,
 * vss_cs_restore_register).  Meant for ExecStartPre= of the service's
 * unit, where a mistyped path must not silently open the gate: PATH must
 * be a store a writer protects, or the answer is bad usage. */
#include "vss-options.h"

#include <stdlib.h>
#include <string.h>

typedef guint (*FileCount) (const VssWmComponent *);
typedef const VssWmFile *(*FileGet) (const VssWmComponent *, guint);

static void
add_component_paths (GPtrArray *stores, const VssWmComponent *wm)
{
  const struct { FileCount count; FileGet get; } lists[] = {
    { vss_wm_component_get_file_count, vss_wm_component_get_file },
    { vss_wm_component_get_database_file_count, vss_wm_component_get_database_file },
    { vss_wm_component_get_log_file_count, vss_wm_component_get_log_file },
  };
  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l].count (wm); i++) {
      const char *path = vss_wm_file_get_path (lists[l].get (wm, i));
      if (!g_ptr_array_find_with_equal_func (stores, path, g_str_equal, NULL))
        g_ptr_array_add (stores, g_strdup (path));
    }
}

/* Every directory the writers' components name: the stores they protect. */
static GPtrArray *
known_stores (VssCli *cli, GError **error)
{
  g_autoptr(VssBackupComponents) bc = vss_cli_gather (cli, VSS_BT_FULL, NULL, 0, error);
  if (bc == NULL)
    return NULL;
  GPtrArray *stores = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;
  vss_backup_components_get_writer_metadata_count (bc, &n, NULL);
  for (guint w = 0; w < n; w++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, w, NULL);
    for (guint c = 0; md != NULL && c < vss_writer_metadata_get_component_count (md); c++)
      add_component_paths (stores, vss_writer_metadata_get_component (md, c));
  }
  return stores;
}

/* Is @real (canonical) one of @stores or inside one? */
static gboolean
is_protected (const char *real, GPtrArray *stores)
{
  for (guint i = 0; i < stores->len; i++) {
    const char *store = g_ptr_array_index (stores, i);
    gsize n = strlen (store);
    if (strncmp (real, store, n) == 0 && (real[n] == '\0' || real[n] == '/' || n == 1))
      return TRUE;
  }
  return FALSE;
}

static int
refuse_unknown (VssCli *cli, const char *path, const char *why, GPtrArray *stores)
{
  g_autoptr(GString) list = g_string_new (NULL);
  for (guint i = 0; stores != NULL && i < stores->len; i++)
    g_string_append_printf (list, "\n  %s", (char *) g_ptr_array_index (stores, i));
  return vss_cli_usage (cli, "restore-gate",
                        "%s %s, so this gate would guard nothing; give the path of a store a "
                        "writer protects%s%s", path, why,
                        list->len > 0 ? ":" : " (no writer protects any store: see 'vss writers')",
                        list->str);
}

int
vss_cmd_restore_gate (VssCli *cli, int argc, char **argv)
{
  gboolean if_protected = FALSE;
  const GOptionEntry entries[] = {
    { "if-protected", 0, 0, G_OPTION_ARG_NONE, &if_protected, "A path no writer protects may start (exit 0) instead of being bad usage: for the drop-in installed with libvss", NULL },
    { NULL },
  };
  int done = vss_cli_parse (cli, "restore-gate", "PATH",
                            "Exit 0 when the store at PATH (an LMDB directory or a certificate "
                            "database or its\ndirectory) may be opened for service, 1 while a "
                            "restore of it has not completed, 2 when\nPATH is not a store a "
                            "writer protects.  For ExecStartPre= in the service's systemd unit.",
                            entries, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc != 2)
    return vss_cli_usage (cli, "restore-gate", "give one path");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stores = known_stores (cli, &error);
  if (stores == NULL)
    return vss_cli_fail (cli, error);
  g_autofree char *real = realpath (argv[1], NULL);
  if (real == NULL)
    return refuse_unknown (cli, argv[1], "does not exist", stores);
  gboolean open = vss_ds_restore_gate_check (real, &error) && vss_cs_restore_gate_check (real, &error);
  /* an interlock blocks whatever writers say they protect */
  if (open && !is_protected (real, stores) && !if_protected)
    return refuse_unknown (cli, argv[1], "is not a store any writer protects", stores);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (argv[1]));
  json_object_object_add (obj, "open", json_object_new_boolean (open));
  if (error != NULL)
    json_object_object_add (obj, "message", json_object_new_string (error->message));
  vss_cli_emit (cli, "restore-gate", obj);
  if (!open) {
    g_printerr ("vss restore-gate: %s\n", error->message);
    return VSS_EXIT_FAILED;
  }
  vss_cli_print (cli, "%s: no restore pending; the service may start\n", argv[1]);
  return VSS_EXIT_OK;
}
