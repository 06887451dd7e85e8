/* cert-store.h — the certificate stores the writer protects, as its
 * configuration lists them, and the SQLite facts it needs about them. */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define CERT_CONF_FILE "certificate.conf"
#define CERT_DEFAULT_BUDGET_MS 1500
#define CERT_WRITER_NAME "certificate"

typedef enum {
  CERT_STORE_NSS,      /* a directory: cert9.db + key4.db + pkcs11.txt */
  CERT_STORE_SQLITE,   /* one SQLite database file (a CA store) */
} CertStoreKind;

typedef struct {
  CertStoreKind kind;
  char *path;            /* canonical: the NSS directory or the database file */
  char *logical_path;    /* "nss" or "sqlite" */
  char *name;            /* component name: path with '/' turned into '_' */
  GPtrArray *databases;  /* canonical database files (char *) */
} CertStore;

typedef struct {
  GPtrArray *stores;     /* CertStore */
  guint budget_ms;
  char *conf_path;
} CertConfig;

/* Reads <config_dir>/certificate.conf; every problem names the file, the
 * key and what to write instead. */
CertConfig *cert_config_load (const char *config_dir, GError **error);
void        cert_config_free (CertConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CertConfig, cert_config_free)

/* The store whose component is (@logical_path, @name), or NULL. */
CertStore *cert_config_find (CertConfig *config, const char *logical_path, const char *name);
/* The store holding database file @path, or NULL. */
CertStore *cert_config_find_database (CertConfig *config, const char *path);

/* Opens @path read-write (never creating it) with @busy_ms of busy
 * timeout. */
sqlite3 *cert_db_open (const char *path, int busy_ms, GError **error);
/* Runs @sql; FALSE with an error naming @path on failure. */
gboolean cert_db_exec (sqlite3 *db, const char *path, const char *sql, GError **error);
/* PRAGMA journal_mode, lower case ("delete", "wal" …); NULL on error. */
char    *cert_db_journal_mode (sqlite3 *db, const char *path, GError **error);
/* PRAGMA integrity_check: TRUE when "ok", else the first problems. */
gboolean cert_db_integrity_check (sqlite3 *db, const char *path, GError **error);
/* PRAGMA data_version (changes when another connection commits). */
gint64   cert_db_data_version (sqlite3 *db);

G_END_DECLS
