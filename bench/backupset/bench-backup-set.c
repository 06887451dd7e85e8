/* bench-backup-set.c — the library side of bench-backup-set.sh, on the
 * public API only:
 *   bench-backup-set write SRC SET   back up the tree SRC into a new set SET
 *   bench-backup-set open SET        open (load + validate) SET
 * Prints seconds, bytes, entries and the peak RSS. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <vss/vss.h>

/* The smallest valid BCD: what a requester has before any writer answers. */
static const char bcd[] =
  "{\"version\":1,\"kind\":\"backup\",\"backup_type\":\"full\",\"select_components\":false,"
  "\"bootable_state\":false,\"partial_file_support\":false,\"context\":\"backup\","
  "\"snapshots\":[],\"writers\":[]}\n";

static long
peak_rss_kb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int
write_set (const char *src, const char *dir)
{
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  VssBackupSetWriter *w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  if (w == NULL || !vss_backup_set_writer_add_files (w, "path:/bench", src, "/bench", "*", TRUE,
                                                     NULL, NULL, NULL, &error) ||
      !vss_backup_set_writer_commit (w, bcd, &error)) {
    fprintf (stderr, "bench-backup-set: %s\n", error->message);
    return 1;
  }
  double secs = (g_get_monotonic_time () - start) / 1e6;
  printf ("seconds=%.3f bytes=%" G_GUINT64_FORMAT " entries=%u peak_rss_kb=%ld\n", secs,
          vss_backup_set_writer_get_bytes (w), vss_backup_set_writer_get_entries (w),
          peak_rss_kb ());
  vss_backup_set_writer_free (w);
  return 0;
}

static int
open_set (const char *dir)
{
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  VssBackupSet *set = vss_backup_set_open (dir, &error);
  if (set == NULL) {
    fprintf (stderr, "bench-backup-set: %s\n", error->message);
    return 1;
  }
  printf ("seconds=%.3f peak_rss_kb=%ld\n", (g_get_monotonic_time () - start) / 1e6,
          peak_rss_kb ());
  vss_backup_set_free (set);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "write") == 0)
    return write_set (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "open") == 0)
    return open_set (argv[2]);
  fprintf (stderr, "usage: bench-backup-set write SRC SET | open SET\n");
  return 2;
}
