/* test-directory-online-contracts.c — what the ntdsbcli pages promise,
 * against a real slapd: the restore interlock refuses a second restore
 * and an online backup while slapd writes; only its own restore lifts
 * it; the callers' privileges; result codes of handles and tokens. */
#include <linux/capability.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dir-test.h"

TestSuite (directory_contracts, .fini = dfx_teardown, .timeout = 180);

static void *
backup_token (guint32 *out_size)
{
  void *token = NULL;
  VssDsHandle *h = NULL;
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, out_size, &h),
                VSS_S_OK, "%s", vss_ds_get_last_error_message ());
  cr_assert_eq (vss_ds_backup_end (h), VSS_S_OK);
  return token;
}

static VssDsHandle *
registered_restore (const void *token, guint32 size, VssHResult expected)
{
  VssDsHandle *r = NULL;
  const char *db = dfx.slapd->db;
  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, token, size, &r), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  VssHResult hr = vss_ds_restore_register (r, db, db, NULL, 0, db, 0, 0);
  cr_assert_eq (hr, expected, "register: 0x%08X, expected 0x%08X: %s", hr, expected,
                vss_ds_get_last_error_message ());
  return r;
}

Test (directory_contracts, an_interlocked_store_refuses_a_second_restore_and_online_backups)
{
  dfx_setup (500, NULL);
  guint32 size = 0;
  void *token = backup_token (&size);
  slapd_stop (dfx.slapd);
  VssDsHandle *first = registered_restore (token, size, VSS_S_OK);
  VssDsHandle *second = registered_restore (token, size, VSS_DS_HR_RESTORE_IN_PROGRESS);
  cr_assert (strstr (vss_ds_get_last_error_message (), "in progress"), "%s",
             vss_ds_get_last_error_message ());
  /* the second restore cannot lift the first's interlock */
  cr_assert_neq (vss_ds_restore_register_complete (second, VSS_S_OK), VSS_S_OK);
  cr_assert_eq (vss_ds_restore_end (second), VSS_S_OK);
  cr_assert_not (vss_ds_restore_gate_check (dfx.slapd->db, NULL), "the interlock was lifted");

  /* slapd started anyway (not through its unit) and writing: no online
   * backup of the half-restored store */
  g_autofree char *ldap = g_path_get_dirname (dfx.slapd->db);
  Slapd *rogue = slapd_start (ldap, dfx.slapd->db, FALSE);
  g_autofree char *more = slapd_people_ldif (501, 2000, 300);
  GPid writes = slapd_add_async (rogue, more);
  g_usleep (100000);
  void *backup_token2 = NULL;
  VssDsHandle *h = NULL;
  VssHResult hr = vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &backup_token2,
                                         &size, &h);
  cr_assert_eq (hr, VSS_DS_HR_RESTORE_IN_PROGRESS, "backup of an interlocked store: 0x%08X %s",
                hr, vss_ds_get_last_error_message ());
  cr_assert_null (h);
  slapd_wait (writes, 60000);
  slapd_free (rogue);

  /* the first restore completes: its interlock goes */
  g_remove (g_build_filename (dfx.slapd->db, "lock.mdb", NULL));
  cr_assert_eq (vss_ds_restore_register_complete (first, VSS_S_OK), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL), "the interlock stayed");
  cr_assert_eq (vss_ds_restore_end (first), VSS_S_OK);
  vss_ds_backup_free (token);
}

Test (directory_contracts, handle_result_codes)
{
  dfx_setup (10, NULL);
  guint32 size = 0;
  void *token = NULL;
  /* a NULL handle out-parameter is ERROR_INVALID_PARAMETER, NULL token
   * out-parameters hrInvalidParam */
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &size, NULL),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  VssDsHandle *h = NULL;
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, NULL, &size, &h),
                VSS_DS_HR_INVALID_PARAM);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &size, &h),
                VSS_S_OK);
  /* no file open: hrInvalidHandle */
  guint8 buffer[64];
  guint32 got = 0;
  cr_assert_eq (vss_ds_backup_close (h), VSS_DS_HR_INVALID_HANDLE);
  cr_assert_eq (vss_ds_backup_read (h, buffer, sizeof buffer, &got), VSS_DS_HR_INVALID_HANDLE);
  /* a wrong-kind, NULL or ended handle: ERROR_INVALID_PARAMETER */
  cr_assert_eq (vss_ds_restore_end (h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_end (h), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_close (h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_end (h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_close (NULL), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_truncate_logs (NULL), VSS_WIN32_ERROR_INVALID_PARAMETER);
  /* an invalid token reaches DsRestoreRegister: hrMissingExpiryToken */
  slapd_stop (dfx.slapd);
  ((guint8 *) token)[size / 2] ^= 0x40;
  VssDsHandle *r = registered_restore (token, size, VSS_DS_HR_MISSING_EXPIRY_TOKEN);
  cr_assert (strstr (vss_ds_get_last_error_message (), "token"), "%s",
             vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL), "an interlock was placed");
  cr_assert_eq (vss_ds_restore_end (r), VSS_S_OK);
  vss_ds_backup_free (token);
}

Test (directory_contracts, a_name_of_this_host_in_another_domain_is_another_computer)
{
  dfx_setup (0, NULL);
  g_autofree char *label = g_strndup (g_get_host_name (), strcspn (g_get_host_name (), "."));
  g_autofree char *elsewhere = g_strconcat (label, ".no-such-domain.invalid", NULL);
  gboolean online = FALSE;
  cr_assert_eq (vss_ds_is_ntds_online (elsewhere, &online), VSS_DS_HR_COULD_NOT_CONNECT,
                "%s was taken for this host", elsewhere);
  cr_assert_eq (vss_ds_is_ntds_online (label, &online), VSS_S_OK);
  cr_assert_eq (vss_ds_is_ntds_online ("localhost", &online), VSS_S_OK);
  VssCsHandle cs = NULL;
  cr_assert_eq (vss_cs_backup_prepare (elsewhere, 0, VSS_CSBACKUP_TYPE_FULL, &cs),
                VSS_CS_E_COULD_NOT_CONNECT, "%s was taken for this host", elsewhere);
}

static int
backup_prepare_body (gpointer data)
{
  void *token = NULL;
  guint32 size = 0;
  VssDsHandle *h = NULL;
  VssHResult hr = vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &size, &h);
  g_printerr ("backup_prepare as nobody: 0x%08X %s\n", hr, vss_ds_get_last_error_message ());
  if (hr == VSS_S_OK)
    return vss_ds_backup_end (h) == VSS_S_OK ? 0 : 2;
  /* refused: with ACCESS_DENIED and naming what suffices */
  return hr == VSS_WIN32_ERROR_ACCESS_DENIED &&
         strstr (vss_ds_get_last_error_message (), "CAP_DAC_OVERRIDE") != NULL ? 3 : 4;
}

static int
restore_register_body (gpointer data)
{
  VssDsHandle *r = data;
  const char *db = dfx.slapd->db;
  VssHResult hr = vss_ds_restore_register (r, db, db, NULL, 0, db, 0, 0);
  g_printerr ("restore_register as nobody: 0x%08X %s\n", hr, vss_ds_get_last_error_message ());
  return hr == VSS_WIN32_ERROR_ACCESS_DENIED ? 0 : 1;
}

Test (directory_contracts, privileges_are_the_documented_ones)
{
  dfx_setup (10, NULL);
  /* the privilege the message names suffices; less is refused saying so */
  cr_assert_eq (vss_test_as_nobody (VSS_TEST_CAP (CAP_DAC_OVERRIDE), backup_prepare_body, NULL), 0,
                "nobody with CAP_DAC_OVERRIDE could not back up");
  cr_assert_eq (vss_test_as_nobody (VSS_TEST_CAP (CAP_DAC_READ_SEARCH), backup_prepare_body, NULL), 3,
                "nobody with only CAP_DAC_READ_SEARCH was not refused with ACCESS_DENIED "
                "naming the privilege");
  cr_assert_eq (vss_test_as_nobody (0, backup_prepare_body, NULL), 3);
  /* DsRestoreRegister checks its caller: ERROR_ACCESS_DENIED */
  guint32 size = 0;
  void *token = backup_token (&size);
  slapd_stop (dfx.slapd);
  VssDsHandle *r = NULL;
  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, token, size, &r), VSS_S_OK);
  cr_assert_eq (vss_test_as_nobody (0, restore_register_body, r), 0,
                "an unprivileged restore_register was not refused with ACCESS_DENIED");
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL));
  cr_assert_eq (vss_ds_restore_end (r), VSS_S_OK);
  vss_ds_backup_free (token);
}
