/* dir-restore.c — the directory writer before and after the requester
 * puts an environment back.
 *
 * Everything acts on where the files go (vss_component_get_restore_path):
 * the environment itself for a restore in place, the requester's target
 * for a restore elsewhere, which never touches the live environment.
 * pre_restore refuses while a process (slapd) has the target open, and
 * places the restore interlock there, so an interrupted restore leaves a
 * store that `vss restore-gate` keeps closed; post_restore opens the
 * restored copy, walks every database, checks its last transaction is
 * the one frozen at backup, and only then lifts the interlock. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dir-writer.h"

typedef struct {
  DirEnv *env;
  VssComponent *component;
  char *target;                 /* where its files are restored */
} DirRestoreTarget;

static void
target_free (DirRestoreTarget *t)
{
  g_free (t->target);
  g_free (t);
}

static void
add_target (GPtrArray *targets, DirEnv *env, VssComponent *component)
{
  DirRestoreTarget *t = g_new0 (DirRestoreTarget, 1);
  t->env = env;
  t->component = component;
  t->target = component != NULL ? vss_component_get_restore_path (component, env->path)
                                : g_strdup (env->path);
  g_ptr_array_add (targets, t);
}

/* The environments selected for restore and where each is restored; in
 * volume mode (no components) every environment, in place. */
static GPtrArray *
restore_targets (VssWriter *writer, DirWriter *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  if (vss_writer_get_component_count (writer) == 0 && !vss_writer_are_components_selected (writer)) {
    for (guint i = 0; i < self->envs->len; i++)
      add_target (out, g_ptr_array_index (self->envs, i), NULL);
    return out;
  }
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    DirEnv *env = dir_writer_find_component (self, vss_component_get_name (component));
    if (env != NULL && vss_component_is_selected_for_restore (component))
      add_target (out, env, component);
  }
  return out;
}

static gboolean
place_interlock (DirWriter *self, const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s",
                 dir, g_strerror (errno));
    return FALSE;
  }
  if (self->restore_owner == NULL)
    self->restore_owner = g_uuid_string_random ();
  return vss_ds_restore_interlock_place (dir, self->restore_owner, "vss restore", error);
}

gboolean
dir_pre_restore (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GPtrArray) targets = restore_targets (writer, self);
  for (guint i = 0; i < targets->len; i++) {
    DirRestoreTarget *t = g_ptr_array_index (targets, i);
    g_autoptr(GError) error = NULL;
    if (g_str_equal (t->target, t->env->path))
      dir_env_close (t->env);    /* its files are about to be replaced */
    if (!dir_env_check_offline (t->target, &error)) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  /* all checked before any interlock: a refusal leaves nothing behind */
  for (guint i = 0; i < targets->len; i++) {
    DirRestoreTarget *t = g_ptr_array_index (targets, i);
    g_autoptr(GError) error = NULL;
    if (!place_interlock (self, t->target, &error)) {
      vss_writer_set_failure (writer, g_error_matches (error, VSS_ERROR,
                                                       VSS_ERROR_OBJECT_ALREADY_EXISTS)
                              ? VSS_WF_RETRYABLE : VSS_WF_NONRETRYABLE,
                              "restore interlock: %s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}

/* The restored environment ends at the transaction frozen at backup
 * (the stamp's "txnid=N"); a stamp without it (older sets) is not checked. */
static gboolean
check_last_txn (DirRestoreTarget *t, GError **error)
{
  const char *stamp = t->component != NULL ? vss_component_get_backup_stamp (t->component) : NULL;
  guint64 want = 0;
  if (stamp == NULL || sscanf (stamp, "txnid=%" SCNu64, &want) != 1)
    return TRUE;
  DirEnv *copy = dir_env_new (t->target);
  guint64 have = 0;
  gboolean ok = dir_env_open (copy, error) && dir_env_info (copy, &have, NULL, error);
  dir_env_free (copy);
  if (ok && have != want) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "the restored environment %s ends at transaction %" G_GUINT64_FORMAT ", the "
                 "backup at %" G_GUINT64_FORMAT ": it is not the backed-up state",
                 t->target, have, want);
    ok = FALSE;
  }
  return ok;
}

gboolean
dir_post_restore (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GPtrArray) targets = restore_targets (writer, self);
  for (guint i = 0; i < targets->len; i++) {
    DirRestoreTarget *t = g_ptr_array_index (targets, i);
    g_autoptr(GError) error = NULL;
    dir_env_close (t->env);
    if (!dir_env_verify (t->target, NULL, &error) || !check_last_txn (t, &error)) {
      if (t->component != NULL)
        vss_component_set_post_restore_failure_msg (t->component, error->message, NULL);
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s; the restore interlock stays",
                              error->message);
      return FALSE;
    }
    /* only the interlock this restore placed */
    if (!vss_ds_restore_interlock_lift (t->target, self->restore_owner != NULL
                                        ? self->restore_owner : "", &error)) {
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}
