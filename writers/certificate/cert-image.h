/* cert-image.h — the certificate writer's images (cert-image.c). */
#pragma once

#include "cert-writer.h"

G_BEGIN_DECLS

/* In on_freeze, with the write locks held: pins every database of the
 * chosen stores when the requester reads images (nothing otherwise);
 * FALSE with the failure set. */
gboolean cert_image_pin_all (VssWriter *writer, CertWriter *self);
/* In on_post_snapshot: serves each pin as its file. */
gboolean cert_image_serve_all (VssWriter *writer);
/* Lets go of the pins not served (abort, backup_complete, shutdown). */
void     cert_image_release_all (CertWriter *self);

G_END_DECLS
