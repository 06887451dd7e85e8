/* vss-event.c: not written yet */
typedef int vss_placeholder_vss_event;
