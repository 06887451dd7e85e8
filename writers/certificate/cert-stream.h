/* cert-stream.h — a WAL-mode database streamed as it is at one instant,
 * without a copy of the database on disk.
 *
 * Under a read transaction, the image of the database is the database
 * file with each page replaced by its newest WAL frame up to the last
 * commit: that is what SQLite itself reads.  The WAL's frames are copied
 * aside when the stream opens (a temporary file, the size of the WAL's
 * frames), because a reader that SQLite let read the file alone (every
 * frame already checkpointed) does not keep the WAL from restarting.
 * The transaction keeps the rest of the image in the file: a checkpoint
 * writes into the file only pages that have a frame (those come from the
 * copy), never past a reader's mark, and never while a reader reads the
 * file alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CertStream CertStream;

/* Opens @db_path and pins its current state.  G_IO_ERROR_NOT_SUPPORTED
 * when it is not in WAL mode (a rollback-journal database is copied:
 * holding its shared lock would stall its writers). *out_stamp gets the
 * WAL generation (cert-wal.h) of the instant. */
CertStream *cert_stream_open (const char *db_path, guint64 *out_size, char **out_stamp,
                              GError **error);
/* Bytes read, 0 at the end, -1 with @error. */
gssize      cert_stream_read (CertStream *self, void *buffer, gsize size, GError **error);
void        cert_stream_close (CertStream *self);

G_END_DECLS
