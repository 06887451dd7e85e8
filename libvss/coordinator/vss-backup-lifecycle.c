/* vss-backup-lifecycle.c: not written yet */
typedef int vss_placeholder_vss_backup_lifecycle;
