/* vss-restic.h — talking to restic: the command line, its JSON, and
 * where a restic:REPO[:SNAPSHOT] argument points.  restic is found as
 * VSS_RESTIC or in PATH; its password comes from its own environment
 * (RESTIC_PASSWORD, RESTIC_PASSWORD_FILE), which vss passes on. */
#pragma once

#include <json-c/json.h>
#include <glib.h>

#define VSS_RESTIC_PREFIX "restic:"
/* every snapshot vss makes carries it; forget and sets look only at those */
#define VSS_RESTIC_TAG "vss"
/* restic exited 3: saved without some files; never restored as a set */
#define VSS_RESTIC_TAG_INCOMPLETE "vss-incomplete"

/* Does @arg name a restic repository (restic:…)? */
gboolean   vss_restic_is_repo (const char *arg);
/* Splits "restic:REPO[:SNAPSHOT]": a trailing ":WORD" is a snapshot when
 * WORD is "latest" or hex (a restic snapshot id).  Newly allocated. */
void       vss_restic_parse (const char *arg, char **repo, char **snapshot);
/* { restic, "-r", REPO } with g_free, to append to (NULL-terminate it). */
GPtrArray *vss_restic_argv (const char *repo);
/* Runs restic (@argv NULL-terminated) to the end; its stdout in @out if
 * not NULL.  FALSE unless it exited 0, with its stderr in the message. */
gboolean   vss_restic_run (const char *const *argv, char **out, GError **error);
/* A member as an integer (0 when absent). */
gint64     vss_restic_get_int (json_object *obj, const char *member);
/* `restic snapshots --json --tag vss` of @repo, oldest first: a JSON
 * array (json_object_put it), or NULL with @error. */
json_object *vss_restic_list_snapshots (const char *repo, GError **error);
/* The value after PREFIX= of the first tag of @snapshot (restic's
 * snapshots --json) that starts so, or NULL.  Borrowed. */
const char *vss_restic_tag_value (json_object *snapshot, const char *prefix);
