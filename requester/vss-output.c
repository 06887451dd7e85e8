/* vss-output.c — what `vss` prints: human text on a terminal or a pipe,
 * NDJSON with --json (docs/json-output.md), errors on stderr. */
#include "vss-cli.h"

#include <stdio.h>
#include <unistd.h>

void
vss_cli_emit (VssCli *cli, const char *type, json_object *obj)
{
  if (!cli->json) {
    json_object_put (obj);
    return;
  }
  json_object *line = json_object_new_object ();
  json_object_object_add (line, "type", json_object_new_string (type));
  /* When it happened, not when a reader got it: UTC with microseconds. */
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  json_object_object_add (line, "time", json_object_new_string (time));
  json_object_object_foreach (obj, key, value)
    json_object_object_add (line, key, json_object_get (value));
  json_object_put (obj);
  /* One object per line: plain (no pretty printing), slashes unescaped. */
  fputs (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
         stdout);
  fputc ('\n', stdout);
  fflush (stdout);
  json_object_put (line);
}

void
vss_cli_print (VssCli *cli, const char *format, ...)
{
  if (cli->json)
    return;
  va_list args;
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  fflush (stdout);
}

int
vss_cli_fail (VssCli *cli, const GError *error)
{
  gboolean busy = g_error_matches (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS);
  vss_cli_progress_clear (cli);
  fprintf (stderr, "vss: %s\n", error->message);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "message", json_object_new_string (error->message));
  json_object_object_add (obj, "code", json_object_new_string (vss_error_to_hresult_name (error)));
  vss_cli_emit (cli, "error", obj);
  return busy ? VSS_EXIT_BUSY : VSS_EXIT_FAILED;
}

int
vss_cli_usage (VssCli *cli, const char *command, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "vss %s: %s\nTry 'vss %s --help'.\n", command, message, command);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "message", json_object_new_string (message));
  vss_cli_emit (cli, "usage-error", obj);
  return VSS_EXIT_USAGE;
}

VssCli
vss_cli_init (gboolean json)
{
  VssCli cli = { .json = json };
  cli.progress = !json && isatty (STDERR_FILENO);
  return cli;
}
