/* vss-writer.c — the writer side of an event: what a plug-in sees.
 *
 * A VssWriter wraps one loaded descriptor.  vss_writer_handle_event() is
 * the runner: it unpacks the request, exposes it through the getters for
 * the length of the callback, calls the callback and turns the outcome
 * into a VssEventReply, in the style of fwupd's fu_plugin_runner_*():
 * a missing callback is success, FALSE without a reason is an internal
 * failure, and every message names the writer and the event. */
#include "vss-writer-module.h"

#include <stdarg.h>
#include <string.h>

#include "document/vss-document-private.h"
#include "util/vss-paths.h"
#include "vss-writer-freeze-timer.h"
#include "vss-writer-image.h"

typedef struct {
  char *original_path;
  char *snapshot_path;
} SnapshotMapping;

struct _VssWriter {
  const VssWriterDescriptor *descriptor;
  char *instance_id;
  gboolean loaded;
  GError *load_error;             /* on_load failed: every event answers this */
  gpointer user_data;
  GDestroyNotify user_data_destroy;

  /* The writer side's own freeze bound: callbacks run under call_lock,
   * on the event's thread or, for on_abort at the freeze timeout, on the
   * timer's (vss-writer-freeze-timer.c). */
  GMutex call_lock;
  guint freeze_timeout_ms;        /* the declared one: descriptor, or shorter */
  VssWriterFreezeTimer *freeze_timer;   /* made at the first freeze */
  guint64 freeze_generation;      /* of the armed timer */
  gboolean frozen;                /* freeze came, thaw and abort not yet */
  gboolean freeze_expired;        /* the timer ran on_abort: thaw fails, abort is done */
  GPtrArray *images;              /* VssWriterImage: served until the backup ends */

  /* The current event; reset by every vss_writer_handle_event(). */
  gboolean in_event;
  VssEvent event;
  VssBackupType backup_type;
  VssSnapshotContext context;
  gboolean select_components;
  gboolean bootable_state;
  gboolean partial_file_support;
  gboolean snapshot_atomic;
  gboolean writer_images;
  char *snapshot_set_id;
  GPtrArray *snapshots;           /* SnapshotMapping */
  GPtrArray *components;          /* VssComponent */
  gboolean writable;
  VssWriterFailure failure;
  char *failure_message;
};

static void
snapshot_mapping_free (SnapshotMapping *mapping)
{
  g_free (mapping->original_path);
  g_free (mapping->snapshot_path);
  g_free (mapping);
}

VssWriter *
vss_writer_new (const VssWriterDescriptor *descriptor, const char *instance_id)
{
  g_return_val_if_fail (descriptor != NULL, NULL);
  VssWriter *self = g_new0 (VssWriter, 1);
  self->descriptor = descriptor;
  self->instance_id = g_strdup (instance_id);
  self->backup_type = VSS_BT_UNDEFINED;
  self->context = VSS_CTX_BACKUP;
  g_mutex_init (&self->call_lock);
  self->freeze_timeout_ms = descriptor->freeze_timeout_ms != 0 ? descriptor->freeze_timeout_ms
                                                               : VSS_WRITER_DEFAULT_FREEZE_TIMEOUT_MS;
  return self;
}

gboolean
vss_writer_load (VssWriter *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  if (self->descriptor->on_load == NULL) {
    self->loaded = TRUE;
    return TRUE;
  }
  if (!self->descriptor->on_load (self, &local_error)) {
    g_clear_error (&self->load_error);
    gboolean unconfigured = g_error_matches (local_error, VSS_ERROR, VSS_ERROR_WRITER_NOT_CONFIGURED);
    self->load_error = g_error_new (VSS_ERROR, unconfigured ? VSS_ERROR_WRITER_NOT_CONFIGURED
                                                            : VSS_ERROR_UNEXPECTED_WRITER_ERROR,
                                    unconfigured ? "%s: not configured: %s" : "%s: load: %s",
                                    self->descriptor->name,
                                    local_error != NULL ? local_error->message
                                                        : "returned FALSE without a reason");
    g_propagate_error (error, g_error_copy (self->load_error));
    return FALSE;
  }
  self->loaded = TRUE;
  return TRUE;
}

static void
clear_event_state (VssWriter *self)
{
  self->in_event = FALSE;
  self->backup_type = VSS_BT_UNDEFINED;
  self->context = VSS_CTX_BACKUP;
  self->select_components = FALSE;
  self->bootable_state = FALSE;
  self->partial_file_support = FALSE;
  self->snapshot_atomic = FALSE;
  self->writer_images = FALSE;
  self->writable = FALSE;
  self->failure = VSS_WF_NONE;
  g_clear_pointer (&self->snapshot_set_id, g_free);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  g_clear_pointer (&self->components, g_ptr_array_unref);
  g_clear_pointer (&self->failure_message, g_free);
}

void
vss_writer_free (VssWriter *self)
{
  if (self == NULL)
    return;
  /* First: an expiry running now finishes, and none comes after. */
  g_clear_pointer (&self->freeze_timer, vss_writer_freeze_timer_free);
  g_clear_pointer (&self->images, g_ptr_array_unref);   /* pins go before their store */
  /* on_unload may still read its user data, so it runs first. */
  if (self->loaded && self->descriptor->on_unload != NULL)
    self->descriptor->on_unload (self);
  if (self->user_data_destroy != NULL)
    self->user_data_destroy (self->user_data);
  clear_event_state (self);
  g_clear_error (&self->load_error);
  g_free (self->instance_id);
  g_mutex_clear (&self->call_lock);
  g_free (self);
}

/* ---- reading the request ---- */

static gboolean
parse_snapshots (VssWriter *self, json_object *request, GError **error)
{
  json_object *array = NULL;

  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) snapshot_mapping_free);
  if (!vss_json_read_array (request, "request", "snapshots", FALSE, &array, error))
    return FALSE;
  for (size_t i = 0; array != NULL && i < json_object_array_length (array); i++) {
    json_object *item = json_object_array_get_idx (array, i);
    g_autofree char *where = vss_json_path_index ("request", "snapshots", (guint) i);
    SnapshotMapping *mapping = g_new0 (SnapshotMapping, 1);
    g_ptr_array_add (self->snapshots, mapping);
    if (!json_object_is_type (item, json_type_object)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s: not an object", where);
      return FALSE;
    }
    /* A snapshot without a path yet (before commit) maps nothing. */
    if (!vss_json_read_string (item, where, "original_path", TRUE, &mapping->original_path, error) ||
        !vss_json_read_string (item, where, "snapshot_path", FALSE, &mapping->snapshot_path, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_components (VssWriter *self, json_object *request, GError **error)
{
  json_object *array = NULL;

  if (!vss_json_read_bool (request, "request", "writable", FALSE, &self->writable, error) ||
      !vss_json_read_array (request, "request", "components", FALSE, &array, error))
    return FALSE;
  if (array == NULL) {
    self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
    return TRUE;
  }
  self->components = vss_components_from_json_array (array, "request.components", error);
  if (self->components == NULL)
    return FALSE;
  for (guint i = 0; i < self->components->len; i++)
    ((VssComponent *) g_ptr_array_index (self->components, i))->writable = self->writable;
  return TRUE;
}

static gboolean
parse_request (VssWriter *self, json_object *request, GError **error)
{
  int backup_type = VSS_BT_UNDEFINED;
  int context = VSS_CTX_BACKUP;

  if (request == NULL) {
    /* Nothing to expose: identify from a tool that has no backup. */
    self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) snapshot_mapping_free);
    self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
    return TRUE;
  }
  if (!json_object_is_type (request, json_type_object)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "request: not a JSON object");
    return FALSE;
  }
  if (!vss_json_read_enum (request, "request", "backup_type", FALSE, vss_backup_type_names,
                           &backup_type, error) ||
      !vss_json_read_enum (request, "request", "context", FALSE, vss_snapshot_context_names,
                           &context, error) ||
      !vss_json_read_bool (request, "request", "select_components", FALSE,
                           &self->select_components, error) ||
      !vss_json_read_bool (request, "request", "bootable_state", FALSE,
                           &self->bootable_state, error) ||
      !vss_json_read_bool (request, "request", "partial_file_support", FALSE,
                           &self->partial_file_support, error) ||
      !vss_json_read_bool (request, "request", "snapshot_atomic", FALSE,
                           &self->snapshot_atomic, error) ||
      !vss_json_read_bool (request, "request", "writer_images", FALSE,
                           &self->writer_images, error) ||
      !vss_json_read_string (request, "request", "snapshot_set_id", FALSE,
                             &self->snapshot_set_id, error))
    return FALSE;
  self->backup_type = (VssBackupType) backup_type;
  self->context = (VssSnapshotContext) context;
  return parse_snapshots (self, request, error) && parse_components (self, request, error);
}

/* ---- running the callback ---- */

static VssWriterEventFunc
event_callback (const VssWriterDescriptor *descriptor, VssEvent event)
{
  switch (event) {
  case VSS_EVENT_PREPARE_BACKUP: return descriptor->on_prepare_backup;
  case VSS_EVENT_PREPARE_SNAPSHOT: return descriptor->on_prepare_snapshot;
  case VSS_EVENT_FREEZE: return descriptor->on_freeze;
  case VSS_EVENT_THAW: return descriptor->on_thaw;
  case VSS_EVENT_POST_SNAPSHOT: return descriptor->on_post_snapshot;
  case VSS_EVENT_BACKUP_COMPLETE: return descriptor->on_backup_complete;
  case VSS_EVENT_BACKUP_SHUTDOWN: return descriptor->on_backup_shutdown;
  case VSS_EVENT_ABORT: return descriptor->on_abort;
  case VSS_EVENT_PRE_RESTORE: return descriptor->on_pre_restore;
  case VSS_EVENT_POST_RESTORE: return descriptor->on_post_restore;
  case VSS_EVENT_IDENTIFY:
  case VSS_EVENT_COUNT:
  default:
    return NULL;
  }
}

static VssEventReply *
run_identify (VssWriter *self)
{
  const VssWriterDescriptor *d = self->descriptor;
  g_autoptr(VssWriterMetadata) metadata =
    vss_writer_metadata_new (d->writer_id, self->instance_id, d->name, d->usage_type);
  g_autoptr(GError) error = NULL;

  if (d->on_identify != NULL && !d->on_identify (self, metadata, &error))
    return vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: identify: %s", d->name,
                                        error != NULL ? error->message
                                                      : "returned FALSE without a reason");
  /* The requester reads it later; no writer call may change it now. */
  vss_writer_metadata_seal (metadata);
  VssEventReply *reply = vss_event_reply_new ();
  reply->metadata = vss_writer_metadata_to_json_object (metadata);
  return reply;
}

/* After these nobody reads the images any more. */
static gboolean
ends_backup (VssEvent event)
{
  return event == VSS_EVENT_BACKUP_COMPLETE || event == VSS_EVENT_BACKUP_SHUTDOWN ||
         event == VSS_EVENT_ABORT;
}

static VssEventReply *
run_event (VssWriter *self, VssEvent event)
{
  const char *name = self->descriptor->name;
  const char *event_name = vss_event_to_string (event);
  VssWriterEventFunc callback = event_callback (self->descriptor, event);
  gboolean ok = callback != NULL ? callback (self) : TRUE;
  VssEventReply *reply = vss_event_reply_new ();
  if (ends_backup (event) && self->images != NULL)
    g_ptr_array_set_size (self->images, 0);   /* every pin released */

  reply->ok = ok;
  if (self->failure != VSS_WF_NONE) {
    reply->failure = self->failure;
    reply->message = g_strdup_printf ("%s: %s: %s", name, event_name, self->failure_message);
  } else if (!ok) {
    reply->failure = VSS_WF_NONRETRYABLE;
    reply->message = g_strdup_printf ("%s: %s: returned FALSE without a reason", name, event_name);
  }
  if (self->writable)
    reply->components = vss_components_to_json_array (self->components);
  return reply;
}

/* Called with call_lock held. */
static VssEventReply *
handle_locked (VssWriter *self, VssEvent event, json_object *request)
{
  g_autoptr(GError) error = NULL;
  VssEventReply *reply;

  clear_event_state (self);
  if (!parse_request (self, request, &error)) {
    clear_event_state (self);
    return vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: %s: bad request: %s",
                                        self->descriptor->name, vss_event_to_string (event),
                                        error->message);
  }
  self->event = event;
  self->in_event = TRUE;
  if (event == VSS_EVENT_IDENTIFY)
    reply = run_identify (self);
  else
    reply = run_event (self, event);
  clear_event_state (self);
  return reply;
}

/* ---- the freeze bound ---- */

/* On the timer's thread: the window ran out without thaw or abort. */
static void
on_freeze_timeout (gpointer user_data, guint64 generation)
{
  VssWriter *self = user_data;
  g_mutex_lock (&self->call_lock);
  if (self->frozen && generation == self->freeze_generation) {
    self->frozen = FALSE;
    self->freeze_expired = TRUE;
    g_message ("%s: no thaw within the freeze timeout of %u ms: aborting the freeze",
               self->descriptor->name, self->freeze_timeout_ms);
    g_autoptr(VssEventReply) reply = handle_locked (self, VSS_EVENT_ABORT, NULL);
    if (!reply->ok)
      g_message ("%s", reply->message);
  }
  g_mutex_unlock (&self->call_lock);
}

/* Called with call_lock held before @event runs: arms or disarms the
 * timer; returns the answer itself when the timer already aborted. */
static VssEventReply *
enter_freeze_window (VssWriter *self, VssEvent event)
{
  if (event == VSS_EVENT_FREEZE) {
    if (self->freeze_timer == NULL)
      self->freeze_timer = vss_writer_freeze_timer_new (on_freeze_timeout, self);
    self->frozen = TRUE;
    self->freeze_expired = FALSE;
    self->freeze_generation = vss_writer_freeze_timer_arm (
        self->freeze_timer, g_get_monotonic_time () + (gint64) self->freeze_timeout_ms * 1000);
    return NULL;
  }
  if (event != VSS_EVENT_THAW && event != VSS_EVENT_ABORT)
    return NULL;
  if (self->freeze_timer != NULL)
    vss_writer_freeze_timer_disarm (self->freeze_timer);
  self->frozen = FALSE;
  if (!self->freeze_expired)
    return NULL;
  if (event == VSS_EVENT_ABORT) {
    self->freeze_expired = FALSE;
    return vss_event_reply_new ();     /* on_abort already ran */
  }
  return vss_event_reply_new_failure (VSS_WF_TIMEOUT,
                                      "%s: thaw: came after the freeze timeout of %u ms; the "
                                      "writer had already aborted its freeze, so the snapshot "
                                      "is not consistent for it", self->descriptor->name,
                                      self->freeze_timeout_ms);
}

VssEventReply *
vss_writer_handle_event (VssWriter *self, VssEvent event, json_object *request)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (vss_event_to_string (event) == NULL)
    return vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: unknown event %d",
                                        self->descriptor->name, (int) event);
  /* The coordinator records it like any other writer failure. */
  if (self->load_error != NULL) {
    VssEventReply *reply = vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s",
                                                        self->load_error->message);
    reply->not_configured = g_error_matches (self->load_error, VSS_ERROR,
                                             VSS_ERROR_WRITER_NOT_CONFIGURED);
    return reply;
  }
  g_mutex_lock (&self->call_lock);
  VssEventReply *reply = enter_freeze_window (self, event);
  if (reply == NULL)
    reply = handle_locked (self, event, request);
  /* Tells the coordinator a timeout shortened since the hello. */
  reply->freeze_timeout_ms = self->freeze_timeout_ms;
  g_mutex_unlock (&self->call_lock);
  return reply;
}

/* How long an abandoned abort waits for a callback to end before it
 * runs beside it. */
#define ABANDON_WAIT_USEC (200 * 1000)

gboolean
vss_writer_abort_abandoned (VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  gint64 give_up = g_get_monotonic_time () + ABANDON_WAIT_USEC;
  gboolean locked;
  while (!(locked = g_mutex_trylock (&self->call_lock)) && g_get_monotonic_time () < give_up)
    g_usleep (10 * 1000);
  gboolean done = self->freeze_expired || !self->loaded;
  if (!done) {
    self->freeze_expired = TRUE;
    self->frozen = FALSE;
    if (self->freeze_timer != NULL)
      vss_writer_freeze_timer_disarm (self->freeze_timer);
  }
  gboolean ran = FALSE;
  if (!done && locked) {
    g_autoptr(VssEventReply) reply = handle_locked (self, VSS_EVENT_ABORT, NULL);
    ran = TRUE;
  } else if (!done && self->descriptor->on_abort != NULL) {
    /* The thread in the callback is stuck and abandoned: the process
     * exits right after this. */
    ran = self->descriptor->on_abort (self);
  }
  if (locked)
    g_mutex_unlock (&self->call_lock);
  return ran;
}

void
vss_writer_set_freeze_timeout (VssWriter *self, guint timeout_ms)
{
  g_return_if_fail (self != NULL);
  /* Shorter only: the coordinator already planned with the descriptor's. */
  if (timeout_ms > 0 && timeout_ms < self->freeze_timeout_ms)
    self->freeze_timeout_ms = timeout_ms;
}

guint
vss_writer_get_freeze_timeout (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->freeze_timeout_ms;
}

gboolean
vss_writer_is_loaded (const VssWriter *self)
{
  return self->loaded;
}

/* ---- the public getters ---- */

const char *
vss_writer_get_name (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->descriptor->name;
}

const char *
vss_writer_get_writer_id (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->descriptor->writer_id;
}

const char *
vss_writer_get_instance_id (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->instance_id;
}

VssBackupType
vss_writer_get_backup_type (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, VSS_BT_UNDEFINED);
  return self->backup_type;
}

VssSnapshotContext
vss_writer_get_context (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, VSS_CTX_BACKUP);
  return self->context;
}

gboolean
vss_writer_are_components_selected (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->select_components;
}

gboolean
vss_writer_is_bootable_state_backup (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->bootable_state;
}

gboolean
vss_writer_is_partial_file_support_enabled (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->partial_file_support;
}

const char *
vss_writer_get_config_dir (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return vss_paths_config_dir ();
}

guint
vss_writer_get_component_count (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->components != NULL ? self->components->len : 0;
}

VssComponent *
vss_writer_get_component (VssWriter *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->components == NULL || index >= self->components->len)
    return NULL;
  return g_ptr_array_index (self->components, index);
}

const char *
vss_writer_get_snapshot_set_id (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->snapshot_set_id;
}

/* The part of @path below @prefix ("" when equal), or NULL when @path is
 * not @prefix nor under it.  Whole path elements only: "/data" does not
 * contain "/database". */
static const char *
path_below (const char *path, const char *prefix)
{
  gsize len = strlen (prefix);

  while (len > 1 && prefix[len - 1] == '/')
    len--;
  if (strncmp (path, prefix, len) != 0)
    return NULL;
  if (len == 1 && prefix[0] == '/')
    return path + 1;
  if (path[len] == '\0')
    return path + len;
  if (path[len] != '/')
    return NULL;
  while (path[len] == '/')
    len++;
  return path + len;
}

/* What both ways of serving an image share: the checks, the image's
 * socket and thread, the entry in the component. */
static gboolean
serve_image (VssWriter *self, VssComponent *component, const char *path, guint64 size,
             VssWriterImageFunc write_image, const VssWriterImagePart *parts, guint n_parts,
             gpointer data, GDestroyNotify release, GError **error)
{
  g_autofree char *source = NULL;
  VssWriterImage *image = NULL;
  if (!self->in_event || !self->writer_images) {
    if (release != NULL)
      release (data);
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "serve_image: only during an event of a backup whose requester reads images");
    return FALSE;
  }
  image = vss_writer_image_new (self->descriptor->name, path, size, write_image, parts, n_parts,
                                data, release, &source, error);
  if (image == NULL)
    return FALSE;
  if (!vss_component_add_post_snapshot_image (component, path, source, size, error)) {
    vss_writer_image_free (image);
    return FALSE;
  }
  if (self->images == NULL)
    self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_writer_image_free);
  g_ptr_array_add (self->images, image);
  return TRUE;
}

gboolean
vss_writer_serve_image (VssWriter *self, VssComponent *component, const char *path, guint64 size,
                        VssWriterImageFunc write_image, gpointer data, GDestroyNotify release,
                        GError **error)
{
  g_return_val_if_fail (self != NULL && component != NULL && write_image != NULL, FALSE);
  return serve_image (self, component, path, size, write_image, NULL, 0, data, release, error);
}

#define MAX_IMAGE_PARTS 64

gboolean
vss_writer_serve_image_parts (VssWriter *self, VssComponent *component, const char *path,
                              const VssWriterImagePart *parts, guint n_parts, gpointer data,
                              GDestroyNotify release, GError **error)
{
  g_return_val_if_fail (self != NULL && component != NULL && (parts != NULL || n_parts == 0),
                        FALSE);
  VssWriterImagePart kept[MAX_IMAGE_PARTS];
  guint n_kept = 0;
  guint64 size = 0;
  const char *problem = n_parts > MAX_IMAGE_PARTS ? "more than 64 parts" : NULL;
  for (guint i = 0; problem == NULL && i < n_parts; i++) {
    const VssWriterImagePart *p = &parts[i];
    if ((p->bytes == NULL) == (p->fd < 0))
      problem = "a part needs either bytes or a file descriptor";
    else if (p->length > G_MAXUINT64 - size)
      problem = "the parts add up to more than 2^64 bytes";
    else if (p->length > 0)
      kept[n_kept++] = *p;
    size += p->length;
  }
  if (problem != NULL) {
    if (release != NULL)
      release (data);
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "serve_image_parts: %s", problem);
    return FALSE;
  }
  return serve_image (self, component, path, size, NULL, kept, n_kept, data, release, error);
}

gboolean
vss_writer_get_writer_images (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->writer_images;
}

gboolean
vss_writer_get_snapshot_is_atomic (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->snapshot_atomic;
}

char *
vss_writer_get_snapshot_path (const VssWriter *self, const char *path)
{
  const SnapshotMapping *best = NULL;
  const char *best_rest = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  /* The deepest original path wins: with "/" and "/srv" both snapshotted,
   * /srv/x lives in the /srv snapshot. */
  for (guint i = 0; self->snapshots != NULL && i < self->snapshots->len; i++) {
    const SnapshotMapping *mapping = g_ptr_array_index (self->snapshots, i);
    if (mapping->snapshot_path == NULL || mapping->original_path == NULL)
      continue;
    const char *rest = path_below (path, mapping->original_path);
    if (rest != NULL && (best == NULL || rest - path > best_rest - path)) {
      best = mapping;
      best_rest = rest;
    }
  }
  if (best == NULL)
    return NULL;
  if (*best_rest == '\0')
    return g_strdup (best->snapshot_path);
  return g_build_filename (best->snapshot_path, best_rest, NULL);
}

void
vss_writer_set_failure (VssWriter *self, VssWriterFailure failure, const char *format, ...)
{
  va_list args;

  g_return_if_fail (self != NULL);
  if (!self->in_event || self->event == VSS_EVENT_IDENTIFY) {
    g_warning ("%s: vss_writer_set_failure() called outside an event or in identify; ignored",
               self->descriptor->name);
    return;
  }
  if (failure == VSS_WF_NONE || failure == VSS_WF_NOT_RESPONDING) {
    g_warning ("%s: %s: vss_writer_set_failure() does not take %s; reported as non-retryable",
               self->descriptor->name, vss_event_to_string (self->event),
               failure == VSS_WF_NONE ? "VSS_WF_NONE" : "VSS_WF_NOT_RESPONDING");
    failure = VSS_WF_NONRETRYABLE;
  }
  self->failure = failure;
  g_free (self->failure_message);
  va_start (args, format);
  self->failure_message = g_strdup_vprintf (format, args);
  va_end (args);
}

void
vss_writer_set_user_data (VssWriter *self, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (self != NULL);
  /* Replacing the data releases the old one, like g_object_set_data_full. */
  if (self->user_data_destroy != NULL && self->user_data != data)
    self->user_data_destroy (self->user_data);
  self->user_data = data;
  self->user_data_destroy = destroy;
}

gpointer
vss_writer_get_user_data (const VssWriter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->user_data;
}
