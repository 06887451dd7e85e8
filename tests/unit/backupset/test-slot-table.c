/* test-slot-table.c — the lookup table kept out of memory: past one run
 * (65,536 slots) it is sorted through a memfd and searched a block at a
 * time; every slot is found, equal hashes are reported while sorting,
 * also across runs and blocks. */
#include <criterion/criterion.h>

#include "backupset/vss-backup-set-private.h"

#define SLOTS 200000

/* Spread hashes, every 1,000th slot sharing its hash with the next. */
static guint64
hash_of (guint i)
{
  guint j = i % 1000 == 1 ? i - 1 : i;
  return (guint64) j * G_GUINT64_CONSTANT (11400714819323198485);
}

static gboolean
count_dup (guint64 a, guint64 b, gpointer user_data, GError **error)
{
  (void) error;
  cr_assert_eq (hash_of ((guint) a), hash_of ((guint) b));
  (*(guint *) user_data)++;
  return TRUE;
}

static gboolean
collect (guint64 offset, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, offset);
  return TRUE;
}

static void
check_table (guint n)
{
  g_autoptr(VssSlotTable) table = vss_slot_table_new ();
  g_autoptr(GError) error = NULL;
  /* added out of order: from the end */
  for (guint i = n; i-- > 0;)
    cr_assert (vss_slot_table_add (table, hash_of (i), i, &error));
  guint dups = 0;
  cr_assert (vss_slot_table_finish (table, count_dup, &dups, &error), "%s",
             error ? error->message : "");
  cr_assert_eq (dups, (n + 998) / 1000, "%u equal pairs reported", dups);
  for (guint i = 0; i < n; i++) {
    g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint64));
    vss_slot_table_find (table, hash_of (i), collect, found);
    guint want = (i % 1000 == 0 && i + 1 < n) || i % 1000 == 1 ? 2 : 1;
    cr_assert_eq (found->len, want, "slot %u: %u found", i, found->len);
    gboolean has = FALSE;
    for (guint k = 0; k < found->len; k++)
      has |= g_array_index (found, guint64, k) == i;
    cr_assert (has, "slot %u not found", i);
  }
  g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (guint64));
  vss_slot_table_find (table, 12345, collect, none);
  cr_assert_eq (none->len, 0);
}

Test (slot_table, a_small_table_in_memory)
{
  check_table (5000);
}

Test (slot_table, a_large_table_through_a_memfd)
{
  check_table (SLOTS);
}
