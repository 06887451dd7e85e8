/* vss-fs.c: not written yet */
typedef int vss_placeholder_vss_fs;
