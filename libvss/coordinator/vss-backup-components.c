/* vss-backup-components.c: not written yet */
typedef int vss_placeholder_vss_backup_components;
