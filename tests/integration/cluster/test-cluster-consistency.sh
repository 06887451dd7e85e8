#!/usr/bin/env bash
# The cross-host invariant: a mover transfers units from host a's SQLite
# store to host b's, a unit at a time (debit a, in flight, credit b),
# holding off while either host is frozen (cluster test writer).  Every
# cluster set, restored host by host, must hold the starting total; two
# independent local backups of a and b, taken the same number of times,
# must break it at least once (so the check can fail).  Host b's writer
# takes 300 ms to quiesce, so a host that committed without waiting for
# the others would let transfers through.
# Usage: test-cluster-consistency.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1; SRC=$2; VSS=$BUILD/requester/vss
command -v etcd >/dev/null && command -v sqlite3 >/dev/null || { echo "1..0 # SKIP etcd or sqlite3 not installed"; exit 0; }
T=$(mktemp -d /tmp/vss-cluster-consistency-XXXXXX)
. "$SRC/tests/integration/cluster/cluster-lib.sh"
trap 'touch "$T/stop"; cluster_cleanup; rm -rf "$T"' EXIT
TRIES=${VSS_CLUSTER_TRIES:-3}
TOTAL=2000000

etcd_start_cluster || { echo "Bail out! etcd did not start"; exit 1; }
for h in a b; do
  cluster_host "$h"
  sqlite3 "$T/hosts/$h/data/bank.db" "CREATE TABLE acct (units INTEGER); INSERT INTO acct VALUES ($((TOTAL / 2)));"
  [ "$h" = b ] && EXTRA_ENV=VSS_TEST_FREEZE_DELAY_MS=300
  start_cluster_agent "$h"
  EXTRA_ENV=
done
agents_registered a b || { echo "Bail out! agents did not register"; exit 1; }
python3 "$SRC/tests/integration/cluster/mover.py" "$T/hosts/a/data/bank.db" "$T/hosts/a/data.lock" \
  "$T/hosts/b/data/bank.db" "$T/hosts/b/data.lock" "$T/stop" > "$T/mover.out" 2>&1 &
OTHER_PIDS+=($!)

# units in host $1's part of set $2, restored on that host
restored_units() {
  local out=$T/restored-$(basename "$2")-$1
  vss_on "$1" restore --from "$2" ${3:+--host "$1"} --to "$out" > "$out.log" 2>&1 || { echo "restore-failed"; return; }
  sqlite3 "$(find "$out" -name bank.db | head -1)" "SELECT units FROM acct"
}

cluster_ok=0; cluster_sums=
for i in $(seq 1 "$TRIES"); do
  sleep 0.3
  if cluster_backup --to "$T/cluster-$i" > "$T/cluster-$i.out" 2>&1; then
    ua=$(restored_units a "$T/cluster-$i" host); ub=$(restored_units b "$T/cluster-$i" host)
    sum=$((ua + ub)); cluster_sums+=" $sum"
    [ "$sum" -eq "$TOTAL" ] && cluster_ok=$((cluster_ok + 1))
  else
    cluster_sums+=" failed"
  fi
done
moved=$(sqlite3 -cmd ".timeout 5000" "$T/hosts/b/data/bank.db" "SELECT units FROM acct")
check "the mover ran during the cluster backups ($((moved - TOTAL / 2)) units moved)" test "$moved" -gt $((TOTAL / 2))
check "every restored cluster set holds the total ($TRIES tries, sums:$cluster_sums)" test "$cluster_ok" -eq "$TRIES"

broken=0; local_sums=
for i in $(seq 1 "$TRIES"); do
  sleep 0.3
  VSS_TEST_LOCK_FILE=$T/hosts/a/data.lock vss_on a backup --path "$T/hosts/a/data" --to "$T/local-$i-a" > /dev/null 2>&1
  VSS_TEST_LOCK_FILE=$T/hosts/b/data.lock VSS_TEST_FREEZE_DELAY_MS=300 \
    vss_on b backup --path "$T/hosts/b/data" --to "$T/local-$i-b" > /dev/null 2>&1
  ua=$(restored_units a "$T/local-$i-a"); ub=$(restored_units b "$T/local-$i-b")
  sum=$((ua + ub)); local_sums+=" $sum"
  [ "$sum" -ne "$TOTAL" ] && broken=$((broken + 1))
done
check "independent local backups break the total at least once ($TRIES tries, sums:$local_sums)" test "$broken" -ge 1
touch "$T/stop"

check "no sanitizer report from vss or any agent" sanitizer_clean
echo "1..$n"
exit $((failed > 0))
