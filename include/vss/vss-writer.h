/* vss-writer.h — writing a writer plug-in.
 *
 * A writer is a shared module that defines itself with one macro:
 *
 *   static gboolean my_freeze (VssWriter *writer) { ...; return TRUE; }
 *   static gboolean my_thaw (VssWriter *writer)   { ...; return TRUE; }
 *
 *   VSS_WRITER_DEFINE ("6f1c2d3e-0000-4000-8000-000000000001", "my-app",
 *                      VSS_UT_USERDATA, 60000,
 *                      .on_identify = my_identify,
 *                      .on_freeze = my_freeze,
 *                      .on_thaw = my_thaw)
 *
 * Every callback is optional.  A callback returns TRUE to go on; to veto,
 * call vss_writer_set_failure() and return FALSE.  A non-fatal problem is
 * vss_writer_set_failure() and TRUE.  Returning FALSE without a failure is
 * reported as a non-retryable failure "returned FALSE without a reason".
 *
 * Callbacks of one writer are never called concurrently, and always on the
 * same thread (a writer may hold thread-bound locks from on_freeze to
 * on_thaw) — with one exception: when the freeze timeout passes after
 * on_freeze without thaw or abort, on_abort runs on the runner's timer
 * thread (whatever the coordinator does, even while it is stopped), and a
 * thaw that comes later fails with VSS_WF_TIMEOUT without calling on_thaw.
 * Any writer that got on_freeze gets on_thaw or on_abort. */
#pragma once

#include <glib.h>
#include <vss/vss-types.h>
#include <vss/vss-writer-metadata.h>
#include <vss/vss-component.h>

G_BEGIN_DECLS

/* A module built for another major, or a newer minor, is refused. */
#define VSS_WRITER_ABI_MAJOR 1
#define VSS_WRITER_ABI_MINOR 1

/* The exported entry point that VSS_WRITER_DEFINE emits. */
#define VSS_WRITER_ENTRY_POINT "vss_writer_module_get_descriptor"

#define VSS_WRITER_DEFAULT_FREEZE_TIMEOUT_MS 60000

typedef struct _VssWriter VssWriter;

typedef gboolean (*VssWriterEventFunc) (VssWriter *writer);

typedef struct {
  guint32 abi_major;
  guint32 abi_minor;
  const char *writer_id;        /* a UUID, fixed for the writer class */
  const char *name;             /* short, unique: "directory" */
  VssUsageType usage_type;
  guint32 freeze_timeout_ms;    /* 0: VSS_WRITER_DEFAULT_FREEZE_TIMEOUT_MS */

  /* Called once when the writer is started for a backup or restore, and
   * once when it is stopped; keep state with vss_writer_set_user_data(). */
  gboolean (*on_load) (VssWriter *writer, GError **error);
  void (*on_unload) (VssWriter *writer);

  /* Describe components and files; may be called at any time, must not
   * keep state nor call vss_writer_set_failure(). */
  gboolean (*on_identify) (VssWriter *writer, VssWriterMetadata *metadata, GError **error);

  VssWriterEventFunc on_prepare_backup;
  VssWriterEventFunc on_prepare_snapshot;
  VssWriterEventFunc on_freeze;
  VssWriterEventFunc on_thaw;
  VssWriterEventFunc on_post_snapshot;
  VssWriterEventFunc on_backup_complete;
  VssWriterEventFunc on_backup_shutdown;
  VssWriterEventFunc on_abort;
  VssWriterEventFunc on_pre_restore;
  VssWriterEventFunc on_post_restore;

  /* ABI 1.1: services beyond the events, looked up by name, such as the
   * online backup APIs ("vss.ds-backup.2" in vss-ds-backup.h,
   * "vss.cs-backup.1" in vss-cs-backup.h).  Returns the service's table of
   * functions, or NULL when the writer does not offer it. */
  const void *(*get_interface) (const char *name);

  /* Room to grow without breaking the major ABI; must stay zero. */
  gpointer reserved[23];
} VssWriterDescriptor;

typedef const VssWriterDescriptor *(*VssWriterEntryPoint) (void);

/* The descriptor function must stay visible in a module built with
 * -fvisibility=hidden; spelled out so a writer needs no <gmodule.h>. */
#define VSS_WRITER_EXPORT __attribute__ ((visibility ("default")))

#define VSS_WRITER_DEFINE(id, writer_name, usage, freeze_ms, ...)          \
  static const VssWriterDescriptor vss_writer_module_descriptor_ = {       \
    .abi_major = VSS_WRITER_ABI_MAJOR,                                     \
    .abi_minor = VSS_WRITER_ABI_MINOR,                                     \
    .writer_id = (id),                                                     \
    .name = (writer_name),                                                 \
    .usage_type = (usage),                                                 \
    .freeze_timeout_ms = (freeze_ms),                                      \
    __VA_ARGS__                                                            \
  };                                                                       \
  VSS_WRITER_EXPORT const VssWriterDescriptor *                              \
  vss_writer_module_get_descriptor (void);                                 \
  VSS_WRITER_EXPORT const VssWriterDescriptor *                              \
  vss_writer_module_get_descriptor (void)                                  \
  {                                                                        \
    return &vss_writer_module_descriptor_;                                 \
  }

/* ---- what a writer may ask during an event ---- */

const char        *vss_writer_get_name (const VssWriter *self);
const char        *vss_writer_get_writer_id (const VssWriter *self);
const char        *vss_writer_get_instance_id (const VssWriter *self);
VssBackupType      vss_writer_get_backup_type (const VssWriter *self);
VssSnapshotContext vss_writer_get_context (const VssWriter *self);
gboolean           vss_writer_are_components_selected (const VssWriter *self);
gboolean           vss_writer_is_bootable_state_backup (const VssWriter *self);
gboolean           vss_writer_is_partial_file_support_enabled (const VssWriter *self);
/* The vss configuration directory (/etc/vss, or $XDG_CONFIG_HOME/vss when
 * not root; VSS_CONFIG_DIR overrides), for the writer's own settings. */
const char        *vss_writer_get_config_dir (const VssWriter *self);

/* This writer's components in the Backup Components Document. */
guint         vss_writer_get_component_count (const VssWriter *self);
VssComponent *vss_writer_get_component (VssWriter *self, guint index);

/* The snapshot set, once it exists (from on_prepare_snapshot). */
const char *vss_writer_get_snapshot_set_id (const VssWriter *self);
/* TRUE when every snapshot of the set holds its whole tree at one instant
 * (btrfs, fsfreeze: files that change together are seen together); FALSE
 * when the provider copies file by file (reflink, copy: each file as it
 * was when it was copied, inside the freeze window) and before the set
 * has snapshots.  Known from prepare_backup on: a writer whose
 * application is only consistent at an instant holds it still for the
 * whole window when this is FALSE. */
gboolean    vss_writer_get_snapshot_is_atomic (const VssWriter *self);
/* Where @path appears inside the committed snapshot set (from
 * on_post_snapshot), or NULL when no snapshot covers it. */
char       *vss_writer_get_snapshot_path (const VssWriter *self, const char *path);

/* ---- writer images: a store's own consistent read view, no snapshot ----
 *
 * A writer whose store can hold a consistent read view (an LMDB or SQLite
 * read transaction) declares the components it serves this way at identify
 * (vss_writer_metadata_set_component_image).  When the requester reads
 * images (TRUE here, from prepare_backup on), it takes no filesystem
 * snapshot of their files: the writer pins the view in on_freeze (which
 * costs milliseconds) and, in on_post_snapshot, serves each file with
 * vss_writer_serve_image.  After the thaw the requester streams the images
 * into the backup under their original paths.  Otherwise the writer
 * freezes as before and the requester copies its files from the
 * snapshot. */
gboolean vss_writer_get_writer_images (const VssWriter *self);

/* Writes the whole image to @fd (blocking), on a thread of its own;
 * FALSE with @error when it cannot (the requester then sees a short
 * stream and fails the component). */
typedef gboolean (*VssWriterImageFunc) (int fd, gpointer data, GError **error);

/* In on_post_snapshot: serves @size bytes from @write_image as the file
 * @path (absolute, inside one of @component's file sets) — a post-snapshot
 * entry of @component with a socket as its source.  @release (the pin's
 * end) runs once: after the stream, or when nobody read it within the pin
 * timeout (VSS_WRITER_IMAGE_TIMEOUT_MS, default 10 minutes), or at
 * backup_complete, backup_shutdown or abort, whichever is first; also
 * when this call fails. */
gboolean vss_writer_serve_image (VssWriter *self, VssComponent *component, const char *path,
                                 guint64 size, VssWriterImageFunc write_image, gpointer data,
                                 GDestroyNotify release, GError **error);

/* One part of an image served with vss_writer_serve_image_parts: either
 * @length bytes the writer holds at @bytes (@fd -1), or the range
 * [@offset, @offset + @length) of the regular file open as @fd (@bytes
 * NULL), whose descriptor is passed to the requester over the image
 * socket: the requester copies the range itself, with the cheapest copy
 * its kernel has, and the bytes never go through the writer.  So a range
 * must stay as it is until @release runs (the requester has closed the
 * image): an LMDB page in use by a pinned read transaction does. */
typedef struct {
  const void *bytes;
  int         fd;
  guint64     offset;
  guint64     length;
} VssWriterImagePart;

/* Like vss_writer_serve_image, with the image made of @parts in order
 * (copied; @n_parts at most 64; a part of no bytes is left out), its size
 * their sum.  @bytes and @fd of each part stay the writer's and valid
 * until @release (@data) runs: after the requester has read the image and
 * closed its end (however long its copy takes), or when nobody connected
 * within the pin timeout, or at backup_complete, backup_shutdown or
 * abort; also when this call fails. */
gboolean vss_writer_serve_image_parts (VssWriter *self, VssComponent *component,
                                       const char *path, const VssWriterImagePart *parts,
                                       guint n_parts, gpointer data, GDestroyNotify release,
                                       GError **error);

/* Report a failure of the current event (see the rules above). */
void vss_writer_set_failure (VssWriter *self, VssWriterFailure failure,
                             const char *format, ...) G_GNUC_PRINTF (3, 4);

/* Shortens the writer's freeze timeout (a value from its configuration,
 * typically in on_load); never lengthens it beyond the descriptor's.  The
 * runner's own timer uses it from the next freeze, and the coordinator
 * learns it with the event's reply. */
void  vss_writer_set_freeze_timeout (VssWriter *self, guint timeout_ms);
guint vss_writer_get_freeze_timeout (const VssWriter *self);

void     vss_writer_set_user_data (VssWriter *self, gpointer data, GDestroyNotify destroy);
gpointer vss_writer_get_user_data (const VssWriter *self);

G_END_DECLS
