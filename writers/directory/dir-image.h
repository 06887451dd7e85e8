/* dir-image.h — the directory writer's images (dir-image.c). */
#pragma once

#include "dir-writer.h"

G_BEGIN_DECLS

/* In on_freeze, after the hold: pins each chosen environment when the
 * requester reads images (nothing otherwise); FALSE with the failure set. */
gboolean dir_image_pin_all (VssWriter *writer, DirWriter *self);
/* In on_post_snapshot: serves each pin as its data.mdb. */
gboolean dir_image_serve_all (VssWriter *writer);
/* Lets go of the pins not served (abort, backup_complete, shutdown). */
void     dir_image_release_all (DirWriter *self);

G_END_DECLS
