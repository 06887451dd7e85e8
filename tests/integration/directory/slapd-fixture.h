/* slapd-fixture.h — a private OpenLDAP slapd for the directory tests:
 * its own slapd.conf in a temp dir, back-mdb, listening only on an ldapi
 * socket in that dir.  Never the system service. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define SLAPD_SUFFIX "dc=vss,dc=test"
#define SLAPD_ROOTDN "cn=admin,dc=vss,dc=test"
#define SLAPD_ROOTPW "secret"

typedef struct {
  char *dir;                    /* the temp dir holding everything */
  char *conf;                   /* slapd.conf */
  char *db;                     /* the LMDB environment */
  char *uri;                    /* ldapi://… */
  pid_t pid;                    /* 0 when stopped */
} Slapd;

/* NULL (and *out_skip set) when slapd or root is missing. */
gboolean slapd_available (char **out_reason);
/* Writes the config for @db (made if missing) under @dir and starts slapd;
 * adds the base entries when @init. */
Slapd   *slapd_start (const char *dir, const char *db, gboolean init);
void     slapd_stop (Slapd *self);
void     slapd_free (Slapd *self);

/* The LDIF of people u<first>…u<first+count-1>, each with its sequence
 * number; ~@value_size bytes of description. */
char    *slapd_people_ldif (guint first, guint count, gsize value_size);
/* ldapadd of @ldif, synchronously; TRUE on exit 0. */
gboolean slapd_add (Slapd *self, const char *ldif);
/* ldapadd of @ldif in the background: the pid (reap with slapd_wait). */
GPid     slapd_add_async (Slapd *self, const char *ldif);
/* Runs an ldap* tool; *out_usec its wall time; the exit status. */
int      slapd_tool (Slapd *self, const char *tool, const char *ldif_or_filter, gint64 *out_usec,
                     char **out_stdout);
/* Starts ldapmodify of one entry in the background. */
GPid     slapd_modify_async (Slapd *self, const char *uid);
/* Waits up to @timeout_ms for @pid: its exit status, or -1 if still running. */
int      slapd_wait (GPid pid, guint timeout_ms);

/* slapcat of the environment in @db_dir (with this slapd's schema): the
 * sorted sequence numbers of the people it holds; NULL when slapcat fails. */
GArray  *slapd_slapcat_people (const char *work_dir, const char *db_dir);
/* TRUE when @seqs is exactly 1..N (N = its length). */
gboolean slapd_is_prefix (GArray *seqs);
/* The number of people a search through this slapd finds. */
int      slapd_count_people (Slapd *self);

G_END_DECLS
