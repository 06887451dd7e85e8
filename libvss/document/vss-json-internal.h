/* vss-json-internal.h — helpers shared by the files of libvss/document only.
 *
 * Not part of the module contract (that is vss-document-private.h); other
 * folders must not include this. */
#pragma once

#include "vss-document-private.h"

G_BEGIN_DECLS

/* Tokener depth: the formats nest at most 6 levels; anything deeper is
 * refused while parsing instead of recursing. */
#define VSS_JSON_MAX_DEPTH 32
/* Values quoted in error messages are cut to this many bytes. */
#define VSS_JSON_QUOTE_MAX 64

/* Parses @text (@length bytes, or strlen when (gsize) -1): refuses more
 * than VSS_DOCUMENT_MAX_BYTES, NUL bytes, syntax errors (with json-c's
 * message and the offset), trailing text and a non-object top level. */
json_object *vss_json_parse (const char *text, gsize length, GError **error);
/* Pretty text, newline-terminated; the same object gives the same bytes. */
char *vss_json_to_text (json_object *obj);

/* VSS_ERROR_INVALID_DOCUMENT "<where>.<key>: <message>"; @key may be NULL
 * (the message is about @where itself; "" or NULL @where reads "top level"). */
void vss_json_set_error (GError **error, const char *where, const char *key,
                         const char *format, ...) G_GNUC_PRINTF (4, 5);
/* "a string", "an integer" … */
const char *vss_json_type_name (json_object *value);
/* "\"value\"", cut to VSS_JSON_QUOTE_MAX bytes with "…". */
char *vss_json_quote (const char *value);

/* The name of @value in @names as a JSON string; a value outside the table
 * as a number (which the loaders refuse). */
json_object *vss_json_enum_value (const VssEnumName *names, int value);

/* @value itself (an array element at @where) as a value of @names: a
 * string naming one, like vss_json_read_enum. */
gboolean vss_json_get_enum (json_object *value, const char *where, const VssEnumName *names,
                            int *out, GError **error);
/* A component's "type": required, database or file-group. */
gboolean vss_json_read_component_type (json_object *obj, const char *where,
                                       VssComponentType *out, GError **error);

/* Refuses members other than @allowed (NULL-terminated). */
gboolean vss_json_check_keys (json_object *obj, const char *where,
                              const char *const *allowed, GError **error);
/* The "version" member: required, an integer, 1 ≤ v ≤ VSS_DOCUMENT_VERSION. */
gboolean vss_json_read_version (json_object *obj, const char *where, GError **error);
/* A string that must be a UUID. */
gboolean vss_json_read_uuid (json_object *obj, const char *where, const char *key,
                             gboolean required, char **out, GError **error);
/* A required string that must pass @check (may be NULL: only non-empty). */
typedef const char *(*VssStringCheck) (const char *value);
gboolean vss_json_read_checked (json_object *obj, const char *where, const char *key,
                                gboolean required, VssStringCheck check,
                                char **out, GError **error);

/* Makes an element from @item, the object at @path; NULL with @error set
 * when it is invalid. */
typedef gpointer (*VssJsonItemReader) (json_object *item, const char *path, gpointer data,
                                       GError **error);
/* Appends to @out what @reader makes of each element of @array (at @path);
 * every element must be an object. */
gboolean vss_json_read_array_items (json_object *array, const char *path,
                                    VssJsonItemReader reader, gpointer data, GPtrArray *out,
                                    GError **error);
/* The same for the array member @key of @obj (optional: missing adds nothing). */
gboolean vss_json_read_items (json_object *obj, const char *where, const char *key,
                              VssJsonItemReader reader, gpointer data, GPtrArray *out,
                              GError **error);

/* Duplicate detection in an array: a set of keys, each with the path of
 * the element that had it first. */
GHashTable *vss_json_seen_new (void);
/* Records @key (taken) for the element at @path; returns the path of an
 * earlier element with the same key, or NULL. */
const char *vss_json_seen_before (GHashTable *seen, char *key, const char *path);

/* ---- value rules shared by the add functions and the loaders ----
 * Each returns NULL when @value is fine, else what is wrong with it. */
const char *vss_check_name (const char *value);       /* non-empty, no '/' nor '\\' */
const char *vss_check_path (const char *value);       /* absolute */
const char *vss_check_filespec (const char *value);   /* non-empty, no '/' */
const char *vss_check_uuid (const char *value);
const char *vss_check_non_empty (const char *value);
/* TRUE when @problem (from a rule above) is NULL; else FALSE with
 * VSS_ERROR_INVALID_ARG "<what> "<value>": <problem>". */
gboolean    vss_check_report (const char *what, const char *value, const char *problem,
                              GError **error);

/* The type and name of a component being added: VSS_ERROR_INVALID_ARG
 * unless the type is database or file-group and the name passes
 * vss_check_name. */
gboolean    vss_check_component_identity (VssComponentType type, const char *name,
                                          GError **error);

/* "" is stored as NULL: a component's logical path is NULL or non-empty. */
char *vss_logical_path_dup (const char *logical_path);
/* Refuses, at @path, a component whose (logical path, name) is already in
 * @seen (from vss_json_seen_new). */
gboolean vss_json_check_component_unique (GHashTable *seen, const char *logical_path,
                                          const char *name, const char *path, GError **error);

/* ---- file sets (VssWmFile), vss-file-set.c ---- */

VssWmFile *vss_wm_file_new (const char *path, const char *filespec, gboolean recursive,
                            const char *alternate_location);
void       vss_wm_file_free (VssWmFile *self);
/* Which member carries alternate_location, and whether it must be there. */
typedef enum {
  VSS_FILE_ALT_NONE,        /* no fourth member allowed */
  VSS_FILE_ALT_OPTIONAL,    /* "alternate_location", optional */
  VSS_FILE_ALT_DESTINATION, /* "destination", required */
  VSS_FILE_ALT_NEW_PATH,    /* "new_path", required */
} VssFileAlt;
json_object *vss_wm_files_to_json_array (GPtrArray *files, VssFileAlt alt);
/* The array member @key of @obj (optional: missing is empty). */
GPtrArray   *vss_wm_files_from_json (json_object *obj, const char *where, const char *key,
                                     VssFileAlt alt, GError **error);
/* The same, replacing the array in *@slot (left as it was on error). */
gboolean     vss_wm_files_read_into (json_object *obj, const char *where, const char *key,
                                     VssFileAlt alt, GPtrArray **slot, GError **error);

/* ---- writer metadata components and dependencies, vss-wm-component.c ---- */

VssWmComponent  *vss_wm_component_new (VssComponentType type, const char *logical_path,
                                       const char *name, const char *caption,
                                       gboolean selectable, gboolean selectable_for_restore);
void             vss_wm_component_free (VssWmComponent *self);
VssWmDependency *vss_wm_dependency_new (const char *writer_id, const char *logical_path,
                                        const char *name);
void             vss_wm_dependency_free (VssWmDependency *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssWmComponent, vss_wm_component_free)

/* ---- component parts, vss-component.c ---- */

void vss_partial_file_free (VssPartialFile *self);
void vss_differenced_file_free (VssDifferencedFile *self);
void vss_directed_target_free (VssDirectedTarget *self);

G_END_DECLS
