/* vss-document-private.h — the in-memory model of the writer metadata (WMD)
 * and of the Backup Components Document (BCD), and their JSON forms.
 *
 * Loading validates everything and names the exact place of a problem
 * ("writers[1].components[0].name: required"); it never half-loads. */
#pragma once

#include <json-c/json.h>
#include <vss/vss.h>

G_BEGIN_DECLS

/* The BCD format version this libvss writes and the newest it reads. */
#define VSS_DOCUMENT_VERSION 1
/* Larger documents are refused before parsing. */
#define VSS_DOCUMENT_MAX_BYTES (64 * 1024 * 1024)

/* ---- writer metadata ---- */

struct _VssWmFile {
  char *path;
  char *filespec;
  gboolean recursive;
  char *alternate_location;   /* alternate path, mapping destination, or NULL */
};

struct _VssWmDependency {
  char *writer_id;
  char *logical_path;         /* may be NULL */
  char *name;
};

struct _VssWmComponent {
  VssComponentType type;
  char *logical_path;         /* may be NULL */
  char *name;
  char *caption;              /* may be NULL */
  gboolean selectable;
  gboolean selectable_for_restore;
  gboolean image;             /* its files come as writer images, not from a snapshot */
  gboolean after_thaw;        /* its files may be snapshotted after the thaw */
  GPtrArray *files;           /* VssWmFile: file-group files */
  GPtrArray *database_files;  /* VssWmFile */
  GPtrArray *log_files;       /* VssWmFile */
  GPtrArray *dependencies;    /* VssWmDependency */
};

struct _VssWriterMetadata {
  char *writer_id;
  char *instance_id;
  char *writer_name;
  VssUsageType usage_type;
  guint32 backup_schema;
  VssRestoreMethod restore_method;
  char *restore_service;
  char *restore_user_procedure;
  VssWriterRestore writer_restore;
  gboolean reboot_required;
  GPtrArray *components;                   /* VssWmComponent */
  GHashTable *component_index;             /* "logical path\nname" → VssWmComponent, of
                                            * the first component_index's size entries */
  GPtrArray *exclude_files;                /* VssWmFile */
  GPtrArray *alternate_location_mappings;  /* VssWmFile (alternate_location = destination) */
  gboolean sealed;                         /* read-only once identify ended */
};

VssWriterMetadata *vss_writer_metadata_new (const char *writer_id,
                                            const char *instance_id,
                                            const char *writer_name,
                                            VssUsageType usage_type);
void vss_writer_metadata_free (VssWriterMetadata *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssWriterMetadata, vss_writer_metadata_free)
/* After this, every add/set fails with VSS_ERROR_BAD_STATE. */
void vss_writer_metadata_seal (VssWriterMetadata *self);

json_object       *vss_writer_metadata_to_json_object (const VssWriterMetadata *self);
/* @where prefixes error messages ("writers[2].metadata"); NULL for none. */
VssWriterMetadata *vss_writer_metadata_from_json_object (json_object *obj,
                                                         const char *where,
                                                         GError **error);
VssWriterMetadata *vss_writer_metadata_from_json (const char *text, GError **error);

/* ---- BCD components ---- */

typedef struct {
  char *path;
  char *filename;
  char *ranges;
  char *metadata;
} VssPartialFile;

typedef struct {
  char *path;
  char *filespec;
  gboolean recursive;
  gint64 last_modify_time_usec;
} VssDifferencedFile;

/* Data the writer provides after the snapshot: the live file @path, or,
 * with @source, the image of @path the writer serves on the socket
 * @source, exactly @size bytes (vss_writer_serve_image). */
typedef struct {
  char *path;
  char *source;                  /* NULL: read @path from the live filesystem */
  guint64 size;
} VssPostSnapshotFile;

typedef struct {
  char *source_path;
  char *source_filename;
  char *source_ranges;
  char *destination_path;
  char *destination_filename;
  char *destination_ranges;
} VssDirectedTarget;

struct _VssComponent {
  VssComponentType type;
  char *logical_path;            /* may be NULL */
  char *name;
  /* backup */
  gboolean backup_succeeded;
  char *backup_options;
  char *backup_stamp;
  char *previous_backup_stamp;
  char *backup_metadata;
  GPtrArray *partial_files;       /* VssPartialFile */
  GPtrArray *differenced_files;   /* VssDifferencedFile */
  GPtrArray *post_snapshot_files; /* VssPostSnapshotFile */
  /* restore */
  gboolean selected_for_restore;
  gboolean additional_restores;  /* more restores of this component follow */
  char *restore_options;
  VssRestoreTarget restore_target;
  char *restore_metadata;
  GPtrArray *directed_targets;             /* VssDirectedTarget */
  GPtrArray *new_targets;                  /* VssWmFile (alternate_location = new path) */
  GPtrArray *alternate_location_mappings;  /* VssWmFile (alternate_location = destination) */
  VssFileRestoreStatus file_restore_status;
  char *pre_restore_failure_msg;
  char *post_restore_failure_msg;
  /* setters fail with VSS_ERROR_BAD_STATE while FALSE */
  gboolean writable;
};

VssPostSnapshotFile *vss_post_snapshot_file_new (const char *path, const char *source, guint64 size);
void          vss_post_snapshot_file_free (VssPostSnapshotFile *self);
VssComponent *vss_component_new (VssComponentType type, const char *logical_path, const char *name);
void          vss_component_free (VssComponent *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssComponent, vss_component_free)
/* Does this component have this identity?  NULL logical paths match NULL
 * or "" alike.  type VSS_CT_UNDEFINED matches any type. */
gboolean      vss_component_matches (const VssComponent *self, VssComponentType type,
                                     const char *logical_path, const char *name);

json_object  *vss_component_to_json_object (const VssComponent *self);
VssComponent *vss_component_from_json_object (json_object *obj, const char *where, GError **error);
/* Arrays of components, as carried in the BCD and in writer events. */
json_object  *vss_components_to_json_array (GPtrArray *components);
GPtrArray    *vss_components_from_json_array (json_object *array, const char *where, GError **error);

/* ---- the BCD ---- */

typedef struct {
  char *writer_id;
  char *instance_id;
  char *writer_name;
  GPtrArray *components;          /* VssComponent, explicitly added only; replace it
                                   * with vss_bcd_writer_set_components */
  GHashTable *component_index;    /* "logical path\nname" → the first entries of components */
} VssBcdWriter;

typedef struct {
  char *snapshot_id;
  char *original_path;
  char *snapshot_path;            /* NULL before commit */
  char *provider;
  gboolean after_thaw;            /* "window": "after-thaw" (else "freeze") */
} VssBcdSnapshot;

typedef struct {
  int version;                    /* VSS_DOCUMENT_VERSION */
  gboolean restore;               /* initialised for restore (vs. backup) */
  VssBackupType backup_type;
  gboolean select_components;
  gboolean bootable_state;
  gboolean partial_file_support;
  VssSnapshotContext context;
  gboolean writer_images;         /* the requester reads writer images (no snapshot for them) */
  char *snapshot_set_id;          /* NULL before start_snapshot_set */
  GPtrArray *snapshots;           /* VssBcdSnapshot */
  GPtrArray *writers;             /* VssBcdWriter */
} VssDocument;

VssDocument *vss_document_new (void);
void         vss_document_free (VssDocument *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssDocument, vss_document_free)

json_object *vss_document_to_json_object (const VssDocument *self);
char        *vss_document_to_json (const VssDocument *self);   /* pretty, newline-terminated */
/* Parses and validates; refuses newer versions and documents over
 * VSS_DOCUMENT_MAX_BYTES.  Errors are VSS_ERROR_INVALID_DOCUMENT. */
VssDocument *vss_document_from_json (const char *text, gsize length, GError **error);

/* @instance_id NULL matches any instance of @writer_id. */
VssBcdWriter *vss_document_find_writer (VssDocument *self, const char *writer_id, const char *instance_id);
VssBcdWriter *vss_document_ensure_writer (VssDocument *self, const char *writer_id,
                                          const char *instance_id, const char *writer_name);
VssComponent *vss_bcd_writer_find_component (VssBcdWriter *self, VssComponentType type,
                                             const char *logical_path, const char *name);
/* Fails with VSS_ERROR_OBJECT_ALREADY_EXISTS for a duplicate (logical path, name). */
/* Replaces every component (a writer's edited copy of them). */
void          vss_bcd_writer_set_components (VssBcdWriter *self, GPtrArray *components);
VssComponent *vss_bcd_writer_add_component (VssBcdWriter *self, VssComponentType type,
                                            const char *logical_path, const char *name,
                                            GError **error);
VssBcdSnapshot *vss_document_add_snapshot (VssDocument *self, const char *snapshot_id,
                                           const char *original_path, const char *provider);
/* Sets writable on every component of every writer. */
void vss_document_set_writable (VssDocument *self, gboolean writable);

/* ---- strict JSON reading with a path for messages (vss-json.c) ---- */

/* Each reads @key of @obj; @where is the object's path ("writers[1]").
 * A missing key is an error when @required, otherwise leaves *out as it
 * is.  A value of the wrong JSON type is always an error.  A string read
 * replaces *out and frees what it held (start from NULL); strings holding
 * a NUL byte ("\u0000") are refused. */
gboolean vss_json_read_string (json_object *obj, const char *where, const char *key,
                               gboolean required, char **out, GError **error);
gboolean vss_json_read_bool (json_object *obj, const char *where, const char *key,
                             gboolean required, gboolean *out, GError **error);
gboolean vss_json_read_int64 (json_object *obj, const char *where, const char *key,
                              gboolean required, gint64 *out, GError **error);
/* An array; *out is borrowed from @obj. */
gboolean vss_json_read_array (json_object *obj, const char *where, const char *key,
                              gboolean required, json_object **out, GError **error);
gboolean vss_json_read_object (json_object *obj, const char *where, const char *key,
                               gboolean required, json_object **out, GError **error);
/* Name tables of the public enums, ending with { 0, NULL }; the
 * vss_*_to_string / _from_string functions of vss-types.h use them too. */
typedef struct {
  int value;
  const char *name;
} VssEnumName;

extern const VssEnumName vss_backup_type_names[];
extern const VssEnumName vss_component_type_names[];
extern const VssEnumName vss_usage_type_names[];
extern const VssEnumName vss_restore_method_names[];
extern const VssEnumName vss_writer_restore_names[];
extern const VssEnumName vss_restore_target_names[];
extern const VssEnumName vss_file_restore_status_names[];
extern const VssEnumName vss_writer_state_names[];
extern const VssEnumName vss_writer_failure_names[];
extern const VssEnumName vss_snapshot_context_names[];

const char *vss_enum_to_string (const VssEnumName *names, int value);
gboolean    vss_enum_from_string (const VssEnumName *names, const char *str, int *out);

/* A string that must name a value of the enum of @names; the error lists
 * the accepted names. */
gboolean vss_json_read_enum (json_object *obj, const char *where, const char *key,
                             gboolean required, const VssEnumName *names,
                             int *out, GError **error);
/* "writers[1]" from "writers" and 1; "name" from "" and "name". */
char *vss_json_path_index (const char *where, const char *key, guint index);
char *vss_json_path_key (const char *where, const char *key);
/* Adds a string member only when @value is not NULL. */
void vss_json_add_string (json_object *obj, const char *key, const char *value);

/* Does @str look like a UUID (8-4-4-4-12 hex)? */
gboolean vss_uuid_is_valid (const char *str);

G_END_DECLS
