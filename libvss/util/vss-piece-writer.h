/* vss-piece-writer.h — a file of known size written in order from
 * private buffers, one digest piece (4 MiB, util/vss-digest.h) at a time:
 * the caller fills a piece's buffer (from a socket, from pread of another
 * file, in as many steps as it likes), and each full piece is hashed on a
 * worker thread and written with O_DIRECT, while the caller fills the
 * next.  The digest is of the very bytes written, and the written data
 * take no page cache (no copy of it, no flush of it at the end).  Only
 * the end of the last piece that fits no 4 KiB block is written through
 * the page cache; so is everything where the filesystem refuses O_DIRECT. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VssPieceWriter VssPieceWriter;

/* Writes @size bytes into @fd (a regular file, open for writing, empty;
 * the caller keeps it open until _finish or _cancel) from offset 0. */
VssPieceWriter *vss_piece_writer_new (int fd, guint64 size);
/* Where the next bytes go, and how many fit there (*@room, more than 0
 * until @size bytes were committed). */
guint8         *vss_piece_writer_space (VssPieceWriter *self, gsize *room);
/* @n bytes (at most the room) were put at the space.  FALSE with errno
 * once writing the file failed (then nothing more is written). */
gboolean        vss_piece_writer_commit (VssPieceWriter *self, gsize n);
/* After all @size bytes were committed: writes the rest, waits for the
 * workers and writes the file's digest (64 hex digits) into @out.  FALSE
 * with errno when writing failed (@out untouched).  Frees @self. */
gboolean        vss_piece_writer_finish (VssPieceWriter *self, char out[65]);
/* Stops without a digest.  Frees @self; NULL is fine. */
void            vss_piece_writer_cancel (VssPieceWriter *self);

/* Between _keep_spares and its _drop_spares, writers give their buffers
 * back for the next one instead of freeing them (a set writer calls them
 * from its new and free; the last drop frees what is kept).  Without,
 * every writer makes its own. */
void            vss_piece_writer_keep_spares (void);
void            vss_piece_writer_drop_spares (void);
/* Test seams.  With @refuse, the writers made from now on take O_DIRECT
 * as refused and write through the page cache.  @hook (NULL for none) is
 * called on the caller's thread with each full piece's index as it is
 * handed to the workers. */
void vss_piece_writer_set_test_refuse_direct (gboolean refuse);
typedef void (*VssPieceWriterHook) (guint64 piece);
void vss_piece_writer_set_test_hook (VssPieceWriterHook hook);

G_END_DECLS
