/* vss-progress.c — how far a copy, verify or restore has come: a one-line
 * bar on stderr when it is a terminal, "progress" lines with --json.
 *
 * The bar fits the terminal (TIOCGWINSZ, read again after SIGWINCH) in
 * one column less than its width, so it never wraps; what does not fit
 * is left out, least useful first (file name, bar, ETA, rate).  It is
 * drawn at most 10 times a second: the library reports every chunk. */
#include "vss-cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DRAW_INTERVAL_USEC (G_USEC_PER_SEC / 10)
#define JSON_INTERVAL_USEC (G_USEC_PER_SEC / 5)
#define RATE_AFTER_USEC (G_USEC_PER_SEC / 2)   /* a rate from less is noise */
#define BAR_MAX 40
#define BAR_MIN 8
#define NAME_MIN 8

typedef struct {
  char *phase;          /* the phase being drawn; NULL after a clear */
  gint64 started;       /* monotonic, when it started */
  gint64 last_draw;
  guint64 last_done;
  int columns;
  gboolean drawn;       /* a line is on the screen */
  gboolean drawn_full;  /* 100% was drawn: once is enough */
} Bar;

static Bar bar;
static volatile sig_atomic_t resized = 1;

static void
on_sigwinch (int signum)
{
  resized = 1;
}

static int
terminal_columns (void)
{
  struct winsize ws;
  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

static void
watch_resizes (void)
{
  static gboolean watching;
  if (watching)
    return;
  struct sigaction sa = { .sa_handler = on_sigwinch, .sa_flags = SA_RESTART };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGWINCH, &sa, NULL);
  watching = TRUE;
}

/* A new phase, or the same one starting over (the next set of a chain). */
static void
start_phase (const char *phase, gint64 now)
{
  g_free (bar.phase);
  bar.phase = g_strdup (phase);
  bar.started = now;
  bar.last_draw = 0;
  bar.drawn_full = FALSE;
}

static char *
format_eta (guint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf (" ETA %u:%02u:%02u", (guint) (seconds / 3600),
                            (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  return g_strdup_printf (" ETA %u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
}

/* Appends @piece to @line when the line stays within @width columns. */
static void
append_if_fits (GString *line, int width, const char *piece)
{
  if ((int) (g_utf8_strlen (line->str, -1) + g_utf8_strlen (piece, -1)) <= width)
    g_string_append (line, piece);
}

/* " 42% 1.2 GB of 3.0 GB 35.0 MB/s ETA 0:12", as much as fits in @width. */
static GString *
format_stats (guint64 done, guint64 total, gint64 now, int width)
{
  GString *stats = g_string_new (NULL);
  g_autofree char *size = g_format_size (done);
  g_autofree char *of = total > 0 ? g_format_size (total) : NULL;
  if (total > 0)
    g_string_append_printf (stats, " %3d%%", (int) (100.0 * MIN (done, total) / total));
  g_autofree char *amount = g_strdup_printf (" %s", size);
  append_if_fits (stats, width, amount);
  if (of != NULL) {
    g_autofree char *of_total = g_strdup_printf (" of %s", of);
    append_if_fits (stats, width, of_total);
  }
  gint64 elapsed = now - bar.started;
  if (elapsed < RATE_AFTER_USEC || done == 0)
    return stats;
  double rate = (double) done * G_USEC_PER_SEC / (double) elapsed;
  g_autofree char *rate_size = g_format_size ((guint64) rate);
  g_autofree char *per_second = g_strdup_printf (" %s/s", rate_size);
  append_if_fits (stats, width, per_second);
  if (total > done) {
    g_autofree char *eta = format_eta ((guint64) ((total - done) / rate));
    append_if_fits (stats, width, eta);
  }
  return stats;
}

/* " …tail of the name" in at most @room columns (none below NAME_MIN). */
static char *
format_name (const char *path, int room)
{
  if (path == NULL || room < NAME_MIN + 1)
    return g_strdup ("");
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *valid = g_utf8_make_valid (base, -1);
  for (char *c = valid; *c != '\0'; c++)
    if (g_ascii_iscntrl (*c))
      *c = '?';   /* a newline or escape in a name must not move the cursor */
  glong length = g_utf8_strlen (valid, -1);
  if (length <= room - 1)
    return g_strdup_printf (" %s", valid);
  return g_strdup_printf (" …%s", g_utf8_offset_to_pointer (valid, length - (room - 2)));
}

static void
draw (const char *phase, guint64 done, guint64 total, const char *path, gint64 now)
{
  if (resized) {
    resized = 0;
    bar.columns = terminal_columns ();
  }
  int width = bar.columns - 1;   /* the last column would wrap on some terminals */
  g_autoptr(GString) line = g_string_new (NULL);
  g_string_append_printf (line, "%.*s", MAX (width, 1), phase);
  int left = width - (int) g_utf8_strlen (line->str, -1);
  g_autoptr(GString) stats = format_stats (done, total, now, left);
  left -= (int) g_utf8_strlen (stats->str, -1);
  int bar_cols = total > 0 ? MIN (BAR_MAX, left / 2) - 3 : 0;
  if (bar_cols >= BAR_MIN) {
    int filled = (int) ((double) bar_cols * MIN (done, total) / total);
    g_autofree char *hashes = g_strnfill (filled, '#');
    g_autofree char *dots = g_strnfill (bar_cols - filled, '.');
    g_string_append_printf (line, " [%s%s]", hashes, dots);
    left -= bar_cols + 3;
  }
  g_string_append (line, stats->str);
  g_autofree char *name = format_name (path, left);
  g_string_append (line, name);
  fprintf (stderr, "\r\033[K%s", line->str);
  fflush (stderr);
  bar.drawn = TRUE;
  bar.last_draw = now;
}

static void
emit_json (VssCli *cli, const char *phase, guint64 done, guint64 total)
{
  static gint64 last;
  gint64 now = g_get_monotonic_time ();
  if (now - last < JSON_INTERVAL_USEC && done != total)
    return;
  last = now;
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "phase", json_object_new_string (phase));
  json_object_object_add (obj, "bytes_done", json_object_new_int64 ((gint64) done));
  json_object_object_add (obj, "bytes_total", json_object_new_int64 ((gint64) total));
  json_object_object_add (obj, "percent", json_object_new_double (total > 0 ? 100.0 * done / total : 0.0));
  vss_cli_emit (cli, "progress", obj);
}

void
vss_cli_progress (VssCli *cli, const char *phase, guint64 done, guint64 total, const char *path)
{
  if (cli->json) {
    emit_json (cli, phase, done, total);
    return;
  }
  if (!cli->progress)
    return;
  watch_resizes ();
  gint64 now = g_get_monotonic_time ();
  if (bar.phase == NULL || !g_str_equal (bar.phase, phase) || done < bar.last_done)
    start_phase (phase, now);
  bar.last_done = done;
  /* The last state is always shown, once; the rest at most 10 a second. */
  gboolean full = total > 0 && done >= total;
  if (full ? bar.drawn_full : now - bar.last_draw < DRAW_INTERVAL_USEC)
    return;
  bar.drawn_full = full;
  draw (phase, done, total, path, now);
}

void
vss_cli_progress_clear (VssCli *cli)
{
  if (cli->progress && !cli->json && bar.drawn) {
    fputs ("\r\033[K", stderr);
    fflush (stderr);
  }
  bar.drawn = FALSE;
  g_clear_pointer (&bar.phase, g_free);
  bar.last_done = 0;
}
