/* The window gate (vss_backup_components_set_window_gate): where it runs
 * inside do_snapshot_set, what it is told, and that a gate saying no
 * aborts the set like a failed commit. */
#include "lifecycle-fixture.h"

#include <string.h>

typedef struct {
  guint calls;
  VssWindowGatePoint points[4];
  char *events_at[4];          /* the recorder's events when the gate ran */
  gint64 deadline_left_ms[4];
  VssWindowGatePoint refuse_at;
  gboolean refuse;
} Gate;

static gboolean
record_gate (VssBackupComponents *bc, VssWindowGatePoint point, gint64 deadline_usec, gpointer data,
             GError **error)
{
  Gate *gate = data;
  if (gate->calls < 4) {
    gate->points[gate->calls] = point;
    gate->events_at[gate->calls] = fx_events_string ("recorder");
    gate->deadline_left_ms[gate->calls] = (deadline_usec - g_get_monotonic_time ()) / 1000;
  }
  gate->calls++;
  if (gate->refuse && point == gate->refuse_at) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_RESPONDING, "the cluster said no");
    return FALSE;
  }
  return TRUE;
}

static void
gate_clear (Gate *gate)
{
  for (guint i = 0; i < 4; i++)
    g_free (gate->events_at[i]);
}

TestSuite (window_gate, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test (window_gate, runs_frozen_before_the_commit_and_before_the_thaw)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  Gate gate = { 0 };
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  cr_assert (vss_backup_components_set_window_gate (bc, record_gate, &gate, NULL));
  fx_do_snapshot (bc);
  cr_assert_eq (gate.calls, 3);
  cr_assert_eq (gate.points[0], VSS_WINDOW_GATE_FREEZE);
  cr_assert (g_str_has_suffix (gate.events_at[0], "prepare_snapshot"), "freeze gate saw: %s", gate.events_at[0]);
  cr_assert (gate.deadline_left_ms[0] > G_MAXINT64 / 2000, "the freeze gate has no window deadline");
  cr_assert_eq (gate.points[1], VSS_WINDOW_GATE_COMMIT);
  cr_assert_eq (gate.points[2], VSS_WINDOW_GATE_THAW);
  for (guint i = 1; i < 3; i++) {
    cr_assert (g_str_has_suffix (gate.events_at[i], "freeze"), "gate %u saw: %s", i, gate.events_at[i]);
    /* the recorder's freeze timeout is the default 60 s */
    cr_assert (gate.deadline_left_ms[i] > 50000 && gate.deadline_left_ms[i] <= 60000,
               "deadline %" G_GINT64_FORMAT " ms away", gate.deadline_left_ms[i]);
  }
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, NULL);
  cr_assert_not_null (prop);
  vss_backup_components_free (bc);
  gate_clear (&gate);
}

static void
refused_gate_aborts_the_set (VssWindowGatePoint refuse_at)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  Gate gate = { .refuse = TRUE, .refuse_at = refuse_at };
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  cr_assert (vss_backup_components_set_window_gate (bc, record_gate, &gate, NULL));
  VssAsync *async = NULL;
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  cr_assert_eq (fx_wait (async, &error), VSS_ASYNC_FAILED);
  fx_assert_error (error, VSS_ERROR_WRITER_NOT_RESPONDING, "the cluster said no");
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert (g_str_has_suffix (rec, "freeze thaw abort"), "events: %s", rec);
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, NULL);
  cr_assert_null (prop, "the snapshot of a refused set is still listed");
  vss_backup_components_free (bc);
  gate_clear (&gate);
}

Test (window_gate, refused_before_the_freeze_aborts_the_set_before_any_freeze)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  Gate gate = { .refuse = TRUE, .refuse_at = VSS_WINDOW_GATE_FREEZE };
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  cr_assert (vss_backup_components_set_window_gate (bc, record_gate, &gate, NULL));
  VssAsync *async = NULL;
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  cr_assert_eq (fx_wait (async, &error), VSS_ASYNC_FAILED);
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert (g_str_has_suffix (rec, "prepare_snapshot abort"), "events: %s", rec);
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, NULL);
  cr_assert_null (prop);
  vss_backup_components_free (bc);
  gate_clear (&gate);
}

Test (window_gate, refused_before_the_commit_aborts_the_set)
{
  refused_gate_aborts_the_set (VSS_WINDOW_GATE_COMMIT);
}

Test (window_gate, refused_before_the_thaw_aborts_the_committed_set)
{
  refused_gate_aborts_the_set (VSS_WINDOW_GATE_THAW);
}

Test (window_gate, cannot_be_set_once_the_snapshot_started)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  Gate gate = { 0 };
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  EXPECT (vss_backup_components_set_window_gate (bc, record_gate, &gate, error), VSS_ERROR_BAD_STATE,
          "already started");
  vss_backup_components_free (bc);
}
