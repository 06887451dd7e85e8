/* vss-writer-image.h — the images a writer serves after the thaw
 * (vss_writer_serve_image), held by its VssWriter until backup_complete,
 * backup_shutdown, abort or their pin timeout. */
#pragma once

#include <vss/vss-error.h>
#include <vss/vss-writer.h>

G_BEGIN_DECLS

typedef struct _VssWriterImage VssWriterImage;

/* Listens on a new socket in the runtime directory and starts the thread
 * that streams the image of @size bytes to the first reader: one part
 * that @write_image writes, or when it is NULL the @n_parts @parts (the
 * array is copied); *out_source is the socket's path.  @release runs once,
 * whatever happens. */
VssWriterImage *vss_writer_image_new (const char *writer_name, const char *path, guint64 size,
                                      VssWriterImageFunc write_image,
                                      const VssWriterImagePart *parts, guint n_parts,
                                      gpointer data, GDestroyNotify release, char **out_source,
                                      GError **error);
/* Stops waiting (or cuts a stream short), joins the thread: the image's
 * release has run when this returns. */
void            vss_writer_image_free (VssWriterImage *self);

/* VSS_WRITER_IMAGE_TIMEOUT_MS, else the default. */
guint           vss_writer_image_timeout_ms (void);

G_END_DECLS
