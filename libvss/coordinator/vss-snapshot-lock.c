/* vss-snapshot-lock.c: not written yet */
typedef int vss_placeholder_vss_snapshot_lock;
