/* cert-writer.h — what the writer's files share. */
#pragma once

#include <vss/vss.h>

#include "cert-freezer.h"
#include "cert-store.h"

G_BEGIN_DECLS

#define CERT_WRITER_ID "9b7e3f52-6c1d-4a8e-b2f4-3d5c7a9e1f60"
#define CERT_ACQUIRE_MS 500

typedef struct {
  CertConfig *config;
  CertFreezer *freezer;
  GHashTable *wal_mode;    /* database path → GINT_TO_POINTER (TRUE) when WAL */
  GHashTable *wal_pins;    /* database path → sqlite3* in a read transaction: from the
                            * database stream until its log is copied (cert-online.c) */
  GHashTable *pins;        /* file path → CertPin: frozen, not served yet (cert-image.c) */
} CertWriter;

/* The store of component @index of this event, or NULL. */
CertStore *cert_writer_component_store (VssWriter *writer, guint index);
gboolean   cert_writer_is_wal (CertWriter *self, const char *db_path);

gboolean cert_writer_pre_restore (VssWriter *writer);
gboolean cert_writer_post_restore (VssWriter *writer);

/* The "vss.cs-backup.1" table (vss-cs-backup.h), from cert-online.c. */
const void *cert_online_interface (void);

G_END_DECLS
