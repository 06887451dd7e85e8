#!/usr/bin/env bash
# bench-switch.sh — what one forced WAL switch costs pgbench's clients,
# switched at once or once the insert position is near its segment's end
# (what the PostgreSQL writer's wal_switch_wait does before pg_backup_start
# and pg_backup_stop).  A private cluster in a temp dir, pgbench -c 4;
# every switch is `SELECT pg_switch_wal()`; for each one, the slowest
# transaction overlapping it.  No vss involved: this measures PostgreSQL.
# Usage (root): [BENCH_PGCONF='name = value'] bench/postgresql/bench-switch.sh at|near SWITCHES [NEAR_KIB]
# BENCH_PGCONF: lines added to the cluster's postgresql.conf (e.g. 'wal_init_zero = off').
set -euo pipefail
MODE=${1:-at}; N=${2:-6}; NEAR=$(( ${3:-2048} * 1024 ))
case $MODE in at|near) ;; *) echo "usage: $0 at|near SWITCHES [NEAR_KIB]" >&2; exit 2 ;; esac
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
T=$(mktemp -d /tmp/vss-bench-switch-XXXXXX); chmod 755 "$T"
D=$T/pg/data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$D" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T"/{pg,sock,logs}; chown postgres: "$T/pg" "$T/sock" "$T/logs"
as_pg "$PGBIN/initdb" -D "$D" -U postgres --auth=trust >/dev/null
[ -n "${BENCH_PGCONF:-}" ] && printf '%s\n' "$BENCH_PGCONF" >> "$D/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$D" -l "$T/pg/log" -w -o "-p $PORT -k $T/sock -c listen_addresses=''" start >/dev/null
PGB=("$PGBIN/pgbench" -h "$T/sock" -p "$PORT" -U postgres)
"${PGB[@]}" -i -s 10 -q postgres >/dev/null 2>&1
q() { psql -X -h "$T/sock" -p "$PORT" -U postgres -At -d postgres -c "$1"; }
SEG=$(q "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")
# long enough for N waits of up to a segment at pgbench's pace, bounded
if [ "$MODE" = near ]; then SECS=$(( 20 + N * 30 )); else SECS=$(( 10 + N * 4 )); fi
(cd "$T/logs" && "${PGB[@]}" -c 4 -j 2 -T "$SECS" --log --log-prefix=x postgres >/dev/null 2>&1) & LOAD=$!
sleep 2
END=$(( $(date +%s) + SECS - 4 ))
for i in $(seq "$N"); do
  sleep "$(python3 -c 'import random; print(random.uniform(1, 2))')"
  for _ in $(seq 3000); do   # bounded: 3000 polls of >= 10 ms
    LEFT=$(( SEG - $(q "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint") % SEG ))
    [ "$MODE" = at ] || [ "$LEFT" -le "$NEAR" ] || [ "$(date +%s)" -ge "$END" ] && break
    sleep 0.01
  done
  [ "$(date +%s)" -ge "$END" ] && break
  echo "$(date +%s.%N) $LEFT" >> "$T/switches"
  q "SELECT pg_switch_wal()" >/dev/null
  echo "$(date +%s.%N)" >> "$T/switches"
done
wait "$LOAD"
echo "# $MODE, load average $(cut -d' ' -f1-3 /proc/loadavg), segment $((SEG >> 20)) MiB"
python3 - "$T" <<'PY'
import sys, glob
T = sys.argv[1]; tx = []
for f in glob.glob(T + "/logs/x.*"):
    for line in open(f):
        p = line.split(); end = int(p[4]) + int(p[5]) / 1e6; lat = int(p[2]) / 1e3
        tx.append((end - lat / 1e3, end, lat))
lats = sorted(l for _, _, l in tx)
print(f"pgbench: {len(tx)} tx, p99 {lats[int(.99 * len(lats))]:.1f} ms, max {lats[-1]:.1f} ms")
lines = open(T + "/switches").read().split("\n")
worst = []
for a, b in zip(lines[0::2], lines[1::2]):
    t0, left = a.split(); t0 = float(t0); t1 = float(b)
    m = max([l for s, e, l in tx if e >= t0 and s <= t1 + 0.02] or [0]); worst.append(m)
    print(f"switch with {int(left) / 1048576:5.2f} MiB left: slowest overlapping transaction {m:.1f} ms")
worst.sort(); print(f"median of the slowest: {worst[len(worst) // 2]:.1f} ms")
PY
