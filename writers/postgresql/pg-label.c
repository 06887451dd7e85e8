/* pg-label.c — the backup's end as recorded in the Backup Components
 * Document (the data component's backup metadata, a key file), and the
 * WAL files between its start and its end. */
#include "pg-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
pg_backup_end_free (PgBackupEnd *self)
{
  if (self == NULL)
    return;
  g_free (self->label);
  g_free (self->tablespace_map);
  g_free (self->start_lsn);
  g_free (self->start_wal);
  g_free (self->stop_wal);
  g_free (self->stop_lsn);
  g_free (self);
}

char *
pg_backup_end_to_metadata (const PgBackupEnd *self)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_key_file_set_string (kf, "postgresql", "stop_lsn", self->stop_lsn);
  g_key_file_set_string (kf, "postgresql", "start_lsn", self->start_lsn);
  g_key_file_set_string (kf, "postgresql", "start_wal", self->start_wal);
  g_key_file_set_string (kf, "postgresql", "stop_wal", self->stop_wal);
  g_key_file_set_string (kf, "postgresql", "backup_label", self->label);
  g_key_file_set_string (kf, "postgresql", "tablespace_map", self->tablespace_map);
  g_key_file_set_uint64 (kf, "postgresql", "wal_segment_size", self->segment_bytes);
  return g_key_file_to_data (kf, NULL, NULL);
}

PgBackupEnd *
pg_backup_end_from_metadata (const char *text, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(PgBackupEnd) self = g_new0 (PgBackupEnd, 1);
  if (text == NULL || !g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL) ||
      (self->label = g_key_file_get_string (kf, "postgresql", "backup_label", NULL)) == NULL ||
      (self->stop_wal = g_key_file_get_string (kf, "postgresql", "stop_wal", NULL)) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "the backup records no backup label (its backup metadata is %s): the set was "
                 "not made by this writer's backup mode", text != NULL ? "unreadable" : "missing");
    return NULL;
  }
  self->tablespace_map = g_key_file_get_string (kf, "postgresql", "tablespace_map", NULL);
  self->start_lsn = g_key_file_get_string (kf, "postgresql", "start_lsn", NULL);
  self->start_wal = g_key_file_get_string (kf, "postgresql", "start_wal", NULL);
  self->stop_lsn = g_key_file_get_string (kf, "postgresql", "stop_lsn", NULL);
  self->segment_bytes = g_key_file_get_uint64 (kf, "postgresql", "wal_segment_size", NULL);
  return g_steal_pointer (&self);
}

static gboolean
is_wal_name (const char *name)
{
  if (strlen (name) != 24)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_islower (*p))
      return FALSE;
  return TRUE;
}

char *
pg_label_start_wal (const char *label)
{
  const char *line = strstr (label, "START WAL LOCATION: ");
  char name[25] = "";
  if (line == NULL || sscanf (line, "START WAL LOCATION: %*s (file %24[0-9A-F])", name) != 1 ||
      !is_wal_name (name))
    return NULL;
  return g_strdup (name);
}

char *
pg_label_start_lsn (const char *label)
{
  const char *line = strstr (label, "START WAL LOCATION: ");
  unsigned int hi = 0, lo = 0;
  if (line == NULL || sscanf (line, "START WAL LOCATION: %X/%X", &hi, &lo) != 2)
    return NULL;
  return g_strdup_printf ("%X/%X", hi, lo);
}

/* The segment after @name: timeline, "log" (4 GiB of WAL), segment. */
static char *
next_segment (const char *name, guint64 segments_per_log)
{
  unsigned int tli = 0, log = 0, seg = 0;
  sscanf (name, "%08X%08X%08X", &tli, &log, &seg);
  if (++seg >= segments_per_log) {
    seg = 0;
    log++;
  }
  return g_strdup_printf ("%08X%08X%08X", tli, log, seg);
}

GPtrArray *
pg_wal_segments (const char *wal_dir, const char *first, const char *last,
                 guint64 segment_bytes, GError **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  if (!is_wal_name (first) || !is_wal_name (last) || strncmp (first, last, 8) != 0 ||
      strcmp (first, last) > 0 || segment_bytes == 0 || segment_bytes > G_GUINT64_CONSTANT (0x100000000)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "the backup's WAL runs from %s to %s: not one timeline forward", first, last);
    return NULL;
  }
  g_autofree char *name = g_strdup (first);
  for (guint bound = 0; bound < 1000000; bound++) {
    g_autofree char *path = g_build_filename (wal_dir, name, NULL);
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "the backup needs the WAL file %s, which is not there", path);
      return NULL;
    }
    g_ptr_array_add (paths, g_steal_pointer (&path));
    if (strcmp (name, last) == 0)
      break;
    char *next = next_segment (name, G_GUINT64_CONSTANT (0x100000000) / segment_bytes);
    g_free (name);
    name = next;
  }
  g_autofree char *history_name = g_strndup (first, 8);
  g_autofree char *history = g_strdup_printf ("%s/%s.history", wal_dir, history_name);
  if (g_file_test (history, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (paths, g_steal_pointer (&history));
  return g_steal_pointer (&paths);
}

/* XLOG_BLCKSZ, and the page header's xlp_pageaddr: after xlp_magic (2),
 * xlp_info (2) and xlp_tli (4), a 64-bit address in the host's order. */
#define PG_WAL_PAGE 8192
#define PG_WAL_PAGEADDR_OFFSET 8

gboolean
pg_wal_reaches (const char *path, const char *lsn, guint64 segment_bytes, GError **error)
{
  unsigned int hi = 0, lo = 0;
  if (lsn == NULL || sscanf (lsn, "%X/%X", &hi, &lo) != 2 || segment_bytes == 0)
    return TRUE;   /* an older record: nothing to compare with */
  guint64 at = ((guint64) hi << 32 | lo) - 1;   /* the stop LSN ends the record */
  guint64 page = at - at % PG_WAL_PAGE;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  guint64 found = 0;
  ssize_t n = fd >= 0 ? pread (fd, &found, sizeof found,
                               (off_t) (page % segment_bytes + PG_WAL_PAGEADDR_OFFSET)) : -1;
  int err = errno;
  if (fd >= 0)
    close (fd);
  if (n == (ssize_t) sizeof found && found == page)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "the restored WAL does not reach the backup's stop %s: %s %s; restore "
               "postgresql:wal from the same set", lsn, path,
               n < 0 ? g_strerror (err)
                     : "was copied before the stop was written there (or is a recycled file)");
  return FALSE;
}

gboolean
pg_wal_remove_after (const char *wal_dir, const char *last, guint *out_removed, GError **error)
{
  *out_removed = 0;
  g_autoptr(GDir) dir = g_dir_open (wal_dir, 0, error);
  if (dir == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (!is_wal_name (name) || strcmp (name, last) <= 0)
      continue;
    g_autofree char *path = g_build_filename (wal_dir, name, NULL);
    if (unlink (path) != 0 && errno != ENOENT) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot remove %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
    (*out_removed)++;
  }
  return TRUE;
}
