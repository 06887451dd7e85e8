/* script-writer.c — the "script" writer: hook scripts at freeze and thaw.
 *
 * Runs the executables of a hook directory, in name order, with one verb
 * as argv[1], the convention of qemu-guest-agent's fsfreeze-hook.d and
 * VMware's backupScripts.d: "freeze" before the snapshot and, in reverse
 * order, "thaw" after it or the fail verb ("freezeFail") when the snapshot
 * failed after they froze.  See README.md for the verbs and settings. */
#include <string.h>
#include <unistd.h>

#include <gmodule.h>
#include <vss/vss.h>

#include "script-guard.h"
#include "script-run.h"

#define DEFAULT_TIMEOUT_MS 60000
/* From freeze to thaw; the runner aborts (fail verb) when it passes. */
#define SCRIPT_FREEZE_TIMEOUT_MS 60000

typedef struct {
  char *hook_dir;
  guint timeout_ms;             /* per hook and verb */
  guint freeze_timeout_ms;      /* from freeze to thaw */
  char *fail_verb;
  char *journal;
  GPtrArray *frozen;          /* hooks given "freeze", in freeze order */
  ScriptGuard *guard;
} ScriptWriter;

static char *
default_journal (void)
{
  const char *env = g_getenv ("VSS_STATE_DIR");
  g_autofree char *dir = env != NULL && *env != '\0' ? g_strdup (env)
                         : geteuid () == 0 ? g_strdup ("/var/lib/vss")
                         : g_build_filename (g_get_user_state_dir (), "vss", NULL);
  return g_build_filename (dir, "script-writer.journal", NULL);
}

/* [script] @key in ms, @fallback when absent. */
static gboolean
read_ms (GKeyFile *conf, const char *file, const char *key, guint fallback, guint *out,
         GError **error)
{
  g_autoptr(GError) local_error = NULL;
  *out = fallback;
  if (!g_key_file_has_key (conf, "script", key, NULL))
    return TRUE;
  gint64 value = g_key_file_get_int64 (conf, "script", key, &local_error);
  if (local_error != NULL || value <= 0 || value > G_MAXUINT32) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "%s: %s must be a positive number of milliseconds", file, key);
    return FALSE;
  }
  *out = (guint) value;
  return TRUE;
}

static gboolean
read_config (ScriptWriter *self, const char *config_dir, GError **error)
{
  g_autofree char *file = g_build_filename (config_dir, "script.conf", NULL);
  g_autoptr(GKeyFile) conf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (conf, file, G_KEY_FILE_NONE, &local_error) &&
      !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s: %s; fix or remove it", file,
                 local_error->message);
    return FALSE;
  }
  self->hook_dir = g_key_file_get_string (conf, "script", "hook_dir", NULL);
  if (self->hook_dir == NULL)
    self->hook_dir = g_build_filename (config_dir, "hooks.d", NULL);
  self->fail_verb = g_key_file_get_string (conf, "script", "fail_verb", NULL);
  if (self->fail_verb == NULL)
    self->fail_verb = g_strdup ("freezeFail");
  self->journal = g_key_file_get_string (conf, "script", "journal", NULL);
  if (self->journal == NULL)
    self->journal = default_journal ();
  return read_ms (conf, file, "timeout_ms", DEFAULT_TIMEOUT_MS, &self->timeout_ms, error) &&
         read_ms (conf, file, "freeze_timeout_ms", SCRIPT_FREEZE_TIMEOUT_MS,
                  &self->freeze_timeout_ms, error);
}

static void
script_writer_free (ScriptWriter *self)
{
  g_free (self->hook_dir);
  g_free (self->fail_verb);
  g_free (self->journal);
  if (self->frozen != NULL)
    g_ptr_array_unref (self->frozen);
  g_free (self);
}

static gboolean
on_load (VssWriter *writer, GError **error)
{
  ScriptWriter *self = g_new0 (ScriptWriter, 1);
  if (!read_config (self, vss_writer_get_config_dir (writer), error)) {
    script_writer_free (self);
    return FALSE;
  }
  /* A coordinator that died in a frozen window, with its watchdog. */
  script_guard_replay (self->journal, self->timeout_ms);
  vss_writer_set_freeze_timeout (writer, self->freeze_timeout_ms);
  vss_writer_set_user_data (writer, self, (GDestroyNotify) script_writer_free);
  return TRUE;
}

static gboolean
on_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error)
{
  return vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, NULL, "hooks",
                                            "Applications quiesced by hook scripts", TRUE, TRUE,
                                            error);
}

static void
report (VssWriter *writer, const GError *error)
{
  vss_writer_set_failure (writer, error->code == VSS_ERROR_WRITER_TIMEOUT ? VSS_WF_TIMEOUT
                                                                          : VSS_WF_NONRETRYABLE,
                          "%s", error->message);
}

/* Runs @verb on @hooks (reversed when @reverse); with @stop_early the
 * first failure stops the run.  The first error lands in @error. */
static gboolean
run_all (ScriptWriter *self, GPtrArray *hooks, const char *verb, gboolean reverse,
         gboolean stop_early, GError **error)
{
  gboolean ok = TRUE;
  for (guint k = 0; k < hooks->len; k++) {
    const char *hook = g_ptr_array_index (hooks, reverse ? hooks->len - 1 - k : k);
    g_autoptr(GError) one = NULL;
    if (script_run_hook (hook, verb, self->timeout_ms, &one))
      continue;
    g_message ("script: %s", one->message);
    if (ok)
      g_propagate_error (error, g_steal_pointer (&one));
    ok = FALSE;
    if (stop_early)
      break;
  }
  return ok;
}

/* Everything run with freeze gets the fail verb (unless the watchdog,
 * having given up on a stopped process, gave it already); the guard goes. */
static void
unfreeze_failed (ScriptWriter *self)
{
  if (self->frozen == NULL)
    return;
  if (self->guard != NULL && script_guard_expired (self->guard))
    g_message ("script: the thaw watchdog already ran %s for the frozen hooks", self->fail_verb);
  else
    run_all (self, self->frozen, self->fail_verb, TRUE, FALSE, NULL);
  g_clear_pointer (&self->frozen, g_ptr_array_unref);
  g_clear_pointer (&self->guard, script_guard_release);
}

static gboolean
run_verb (VssWriter *writer, const char *verb)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  g_autoptr(GPtrArray) hooks = script_list_hooks (self->hook_dir, NULL);
  g_autoptr(GError) error = NULL;
  if (run_all (self, hooks, verb, FALSE, TRUE, &error))
    return TRUE;
  report (writer, error);
  return FALSE;
}

/* A hook refused for its owner or mode quiesces nothing: the backup of
 * the hooks' component fails, saying which hook and what to do. */
static gboolean
on_prepare_backup (VssWriter *writer)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  g_autoptr(GError) refused = NULL;
  g_autoptr(GPtrArray) hooks = script_list_hooks (self->hook_dir, &refused);
  if (refused != NULL) {
    report (writer, refused);
    return FALSE;
  }
  return run_verb (writer, "prepare");
}

/* The watchdog's own deadline: past the writer's freeze timeout (when
 * this process, if it runs, has aborted by itself) by the coordinator's
 * grace ($VSS_WRITER_HOST_GRACE_MS, docs/env.md). */
static guint
guard_deadline_ms (ScriptWriter *self)
{
  const char *env = g_getenv ("VSS_WRITER_HOST_GRACE_MS");
  guint64 grace = 5000;
  if (env != NULL && !g_ascii_string_to_unsigned (env, 10, 0, 3600000, &grace, NULL))
    grace = 5000;
  return self->freeze_timeout_ms + (guint) grace;
}

static gboolean
on_freeze (VssWriter *writer)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  g_autoptr(GPtrArray) hooks = script_list_hooks (self->hook_dir, NULL);
  g_autoptr(GPtrArray) thaw_order = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  if (hooks->len == 0)
    return TRUE;
  for (guint i = hooks->len; i > 0; i--)
    g_ptr_array_add (thaw_order, g_ptr_array_index (hooks, i - 1));
  /* Before any hook freezes: from here on, a thaw is owed. */
  self->guard = script_guard_start (self->journal, thaw_order, self->fail_verb,
                                   guard_deadline_ms (self), &error);
  if (self->guard == NULL) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                            "cannot record the freeze in %s (nothing was frozen): %s",
                            self->journal, error->message);
    return FALSE;
  }
  self->frozen = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < hooks->len; i++) {
    const char *hook = g_ptr_array_index (hooks, i);
    g_ptr_array_add (self->frozen, g_strdup (hook));
    if (!script_run_hook (hook, "freeze", self->timeout_ms, &error)) {
      report (writer, error);
      unfreeze_failed (self);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
on_thaw (VssWriter *writer)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  g_autoptr(GError) error = NULL;
  if (self->frozen == NULL)
    return TRUE;
  if (self->guard != NULL && script_guard_expired (self->guard)) {
    vss_writer_set_failure (writer, VSS_WF_TIMEOUT,
                            "this process was stopped past the freeze timeout of %u ms and the "
                            "thaw watchdog gave the hooks %s; the snapshot is not consistent",
                            self->freeze_timeout_ms, self->fail_verb);
    g_clear_pointer (&self->frozen, g_ptr_array_unref);
    g_clear_pointer (&self->guard, script_guard_release);
    return FALSE;
  }
  gboolean ok = run_all (self, self->frozen, "thaw", TRUE, FALSE, &error);
  g_clear_pointer (&self->frozen, g_ptr_array_unref);
  g_clear_pointer (&self->guard, script_guard_release);
  if (!ok)
    report (writer, error);
  return ok;
}

static gboolean
on_abort (VssWriter *writer)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  unfreeze_failed (self);
  g_autoptr(GPtrArray) hooks = script_list_hooks (self->hook_dir, NULL);
  /* Cleanup: every hook hears it, whatever one of them says. */
  run_all (self, hooks, "abort", FALSE, FALSE, NULL);
  return TRUE;
}

static gboolean
on_backup_complete (VssWriter *writer)
{
  return run_verb (writer, "complete");
}

static void
on_unload (VssWriter *writer)
{
  ScriptWriter *self = vss_writer_get_user_data (writer);
  /* Never left frozen, even by a coordinator that skipped thaw and abort. */
  if (self != NULL)
    unfreeze_failed (self);
}

VSS_WRITER_DEFINE ("5c1d7a2e-8f3b-4e61-9a0d-3b2f6c7e9a41", "script",
                   VSS_UT_USERDATA, SCRIPT_FREEZE_TIMEOUT_MS,
                   .on_load = on_load,
                   .on_unload = on_unload,
                   .on_identify = on_identify,
                   .on_prepare_backup = on_prepare_backup,
                   .on_freeze = on_freeze,
                   .on_thaw = on_thaw,
                   .on_abort = on_abort,
                   .on_backup_complete = on_backup_complete)
