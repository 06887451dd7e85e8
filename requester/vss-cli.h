/* vss-cli.h — what every `vss` subcommand shares: the command table, the
 * exit codes, and output (human text, or NDJSON with --json). */
#pragma once

#include <json-c/json.h>
#include <vss/vss.h>

G_BEGIN_DECLS

/* Stable exit codes (docs/vss.1, docs/json-output.md). */
typedef enum {
  VSS_EXIT_OK = 0,          /* success */
  VSS_EXIT_FAILED = 1,      /* failed: nothing usable was made */
  VSS_EXIT_USAGE = 2,       /* bad usage: the command line was wrong */
  VSS_EXIT_PARTIAL = 3,     /* made, but some component failed */
  VSS_EXIT_BUSY = 4,        /* another snapshot set is in progress */
} VssExit;

typedef struct {
  gboolean json;            /* --json: NDJSON on stdout */
  gboolean verbose;
  gboolean progress;        /* a terminal: draw a progress bar on stderr */
} VssCli;

typedef struct {
  const char *name;
  const char *summary;      /* one line for `vss --help` */
  int (*run) (VssCli *cli, int argc, char **argv);
} VssCommand;

/* The table, in help order, ending with { NULL }. */
extern const VssCommand vss_commands[];

/* ---- output (vss-output.c) ---- */
/* One NDJSON line {"type": @type, …members of @obj…}; takes @obj.  Does
 * nothing without --json. */
void vss_cli_emit (VssCli *cli, const char *type, json_object *obj);
/* Human text on stdout; nothing with --json. */
void vss_cli_print (VssCli *cli, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* An error: "vss: <message>" on stderr, and {"type":"error"} with --json.
 * Returns the exit code that fits @error (BUSY for a set in progress,
 * FAILED otherwise). */
int  vss_cli_fail (VssCli *cli, const GError *error);
/* A usage error with a hint; returns VSS_EXIT_USAGE. */
int  vss_cli_usage (VssCli *cli, const char *command, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* Progress of a phase: a bar on a terminal, rate-limited "progress" lines
 * with --json, nothing otherwise. */
void vss_cli_progress (VssCli *cli, const char *phase, guint64 done, guint64 total, const char *path);
void vss_cli_progress_clear (VssCli *cli);
VssCli vss_cli_init (gboolean json);

/* ---- running the library's long calls (vss-session.c) ---- */
/* Waits for @async (consumed), emitting a "phase" event with its duration;
 * FALSE with the operation's error. */
gboolean vss_cli_wait (VssCli *cli, VssAsync *async, const char *phase, GError **error);
/* A VssBackupComponents initialized for backup (or, with @restore_bcd,
 * for restore) whose writer metadata has been gathered; @hold_limit_ms
 * (0: the default) bounds its snapshot commit. */
VssBackupComponents *vss_cli_gather (VssCli *cli, VssBackupType type, const char *restore_bcd,
                                     guint hold_limit_ms, GError **error);
/* A "phase" event: @phase took @duration_ms and ended ok or not. */
void vss_cli_emit_phase (VssCli *cli, const char *phase, double duration_ms, gboolean ok);
/* One writer's "writer" event, and its line unless @quiet and it did not fail. */
void vss_cli_show_writer (VssCli *cli, const VssWriterStatus *status, gboolean quiet);
/* Emits one "writer" event per writer (and prints a line each unless
 * @quiet); returns how many writers failed. */
guint vss_cli_report_writers (VssCli *cli, VssBackupComponents *bc, gboolean quiet, GError **error);

G_END_DECLS
