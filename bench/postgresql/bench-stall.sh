#!/usr/bin/env bash
# bench-stall.sh — what a `vss backup` of a running PostgreSQL costs its
# clients: pgbench -c 4 latency (per-transaction --log) during a backup,
# against a plain run of the same length on the same cluster.  Target: no
# transaction overlapping the backup takes longer than the plain run's
# p99 + 20 ms.  A private cluster in a temp dir, on a free loopback port.
# Usage (root): [BENCH_WRAP='ionice -c 3'] [BENCH_EXEC=1] [BENCH_NO_WRITER=1] [BENCH_PEER=1] [BENCH_FAST=1] [BENCH_SWITCH_WAIT=S] [BENCH_DIR=DIR]
#   [BENCH_SET_DIR=DIR] [BENCH_SPREAD=SECONDS] [BENCH_KEEP=DIR] [BENCH_PGCONF='name = value']
#   [BENCH_DISK_PROBE=1]
#   bench/postgresql/bench-stall.sh BUILD_DIR [SECONDS] [PROVIDER]
# BENCH_PGCONF: lines added to the cluster's postgresql.conf before it starts, for the plain
#   run and the backup alike (e.g. 'wal_init_zero = off')
# Also printed: the latencies during the after-thaw copy (prepare's end to pg_backup_stop).
# BENCH_KEEP=DIR: keep the transaction logs, vss's NDJSON (vss.out), the server log
#   and the backup's start and end (window) in DIR for a closer look
set -euo pipefail
BUILD=$(realpath "$1"); SECS=${2:-20}; PROVIDER=${3:-copy}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
T=$(mktemp -d "${BENCH_DIR:-/tmp}/vss-bench-pg-XXXXXX"); chmod 755 "$T"   # BENCH_DIR: e.g. a btrfs mount
D=$T/pg/data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP" && cp -r "$T/logs" "$T/vss.out" "$T/pg/log" "$BENCH_KEEP/" 2>/dev/null || true
    echo "${B0:-} ${B1:-}" > "$BENCH_KEEP/window"
  fi
  as_pg "$PGBIN/pg_ctl" -D "$D" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$T" "${BENCH_SET_DIR:-$T}/vss-bench-set-$$" "${BENCH_STATE_DIR:-$T}/vss-bench-state-$$"
}
trap cleanup EXIT
mkdir -p "$T"/{pg,sock,config,run,writers,logs}
chown postgres: "$T/pg" "$T/sock" "$T/logs"
as_pg "$PGBIN/initdb" -D "$D" -U postgres --auth=trust >/dev/null
[ -n "${BENCH_PGCONF:-}" ] && printf '%s\n' "$BENCH_PGCONF" >> "$D/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$D" -l "$T/pg/log" -w -o "-p $PORT -k $T/sock -c listen_addresses=127.0.0.1" start >/dev/null
# BENCH_STATE_DIR: where vss keeps its state, the copy provider's snapshots among it
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=${BENCH_STATE_DIR:-$T}/vss-bench-state-$$ VSS_RUNTIME_DIR=$T/run VSS_WRITER_PATH=$T/writers
export VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
install -m 644 "$BUILD/writers/postgresql/postgresql.so" "$T/writers/"
# BENCH_FAST=1: pg_backup_start's checkpoint at once (fast_checkpoint=true; the peer too);
# else spread, as the writer's default, hurried after its checkpoint_limit (20 s).
# BENCH_SPREAD=SECONDS: a cluster whose checkpoints are paced over about SECONDS
# (checkpoint_timeout 30 s, completion target SECONDS/30), not PostgreSQL's 0.9 x 5 min
FAST=$([ -n "${BENCH_FAST:-}" ] && echo true || echo false)
printf '[postgresql]\ndata_directory=%s\nport=%s\nsocket_dir=%s\nfast_checkpoint=%s\n' "$D" "$PORT" \
  "$T/sock" "$FAST" > "$T/config/postgresql.conf"
# BENCH_SWITCH_WAIT=SECONDS: the writer's wal_switch_wait (default: the writer's, 30)
[ -n "${BENCH_SWITCH_WAIT:-}" ] && echo "wal_switch_wait=$BENCH_SWITCH_WAIT" >> "$T/config/postgresql.conf"
if [ -n "${BENCH_SPREAD:-}" ]; then
  printf "checkpoint_timeout = 30s\ncheckpoint_completion_target = %s\n" \
    "$(python3 -c "print(min(0.9, ${BENCH_SPREAD} / 30))")" >> "$D/postgresql.conf"
  as_pg "$PGBIN/pg_ctl" -D "$D" reload >/dev/null
fi
PGB=("$PGBIN/pgbench" -h "$T/sock" -p "$PORT" -U postgres)
"${PGB[@]}" -i -s 10 -q postgres >/dev/null 2>&1

run_load() {  # run_load NAME: pgbench -c 4 for SECS seconds, one log line per transaction
  (cd "$T/logs" && "${PGB[@]}" -c 4 -j 2 -T "$SECS" --log --log-prefix="$1" postgres > "$T/$1.out" 2>&1)
}
# BENCH_DISK_PROBE=1: beside both runs, an 8 KiB write and fdatasync every 20 ms on the
# cluster's filesystem, each taking over 10 ms logged: what the disk itself did at a stall
if [ -n "${BENCH_DISK_PROBE:-}" ]; then
  python3 - "$T/pg/probe.dat" > "$T/disk-probe" <<'PY' & PROBE=$!
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600); buf = b"x" * 8192
for _ in range(15000):                      # bounded: at most ~5 min
    t0 = time.time(); os.pwrite(fd, buf, 0); os.fdatasync(fd); t1 = time.time()
    if t1 - t0 > 0.010: print(f"{t0:.3f} {(t1 - t0) * 1000:.1f}", flush=True)
    time.sleep(0.02)
PY
fi
run_load plain
run_load backup & LOAD=$!
sleep $((SECS / 4))
B0=$(date +%s.%N)
# BENCH_WRAP: a command to run vss under (e.g. "ionice -c 3"); BENCH_EXEC=1: --exec true
# instead of a set (the snapshot and the writer's work without the copy into a set)
if [ -n "${BENCH_EXEC:-}" ]; then TARGET=(--exec true); else TARGET=(--to "${BENCH_SET_DIR:-$T}/vss-bench-set-$$"); fi   # BENCH_SET_DIR: the set elsewhere
# BENCH_NO_WRITER=1: the control, the same directory as a --path tree with no writer
if [ -n "${BENCH_NO_WRITER:-}" ]; then WHAT=(--path "$D"); export VSS_WRITER_PATH=$T/no-writers
else WHAT=(-c postgresql); fi
if [ -n "${BENCH_PEER:-}" ]; then
  # BENCH_PEER=1: the peer, no vss — PostgreSQL's own backup API in one session, as
  # pgBackRest and Barman use it: pg_backup_start (spread, unbounded, or BENCH_FAST), a plain
  # copy, pg_backup_stop
  PEER_COPY=${BENCH_SET_DIR:-$T}/vss-bench-peer-$$
  "$PGBIN/psql" -h "$T/sock" -p "$PORT" -U postgres -qAt -c "SELECT pg_backup_start('peer', $FAST)" \
    -c "\\! cp -a $D $PEER_COPY" -c "SELECT lsn FROM pg_backup_stop()" postgres > "$T/vss.out" 2>&1
  rm -rf "$PEER_COPY"
else
  ${BENCH_WRAP:-} "$BUILD/requester/vss" --json backup "${WHAT[@]}" --provider "$PROVIDER" "${TARGET[@]}" > "$T/vss.out" 2>&1
fi
B1=$(date +%s.%N)
wait "$LOAD"
[ -n "${PROBE:-}" ] && kill "$PROBE" 2>/dev/null
touch "$T/disk-probe"
python3 - "$T/logs" "$B0" "$B1" "$T/vss.out" "$T/disk-probe" <<'PY'
import glob, sys, statistics
logs, b0, b1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def load(prefix):
    out = []   # (start, end, latency ms)
    for f in glob.glob(f"{logs}/{prefix}.*"):
        for line in open(f):
            p = line.split()
            end = int(p[4]) + int(p[5]) / 1e6; lat = int(p[2]) / 1e3
            out.append((end - lat / 1e3, end, lat))
    return out
def pct(v, q): v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
plain = [l for _, _, l in load("plain")]
during = [l for s, e, l in load("backup") if e >= b0 and s <= b1]
p99 = pct(plain, 0.99)
print(f"plain run: {len(plain)} tx, p50 {pct(plain, .5):.1f} ms, p99 {p99:.1f} ms, max {max(plain):.1f} ms")
print(f"during the backup ({b1 - b0:.2f} s): {len(during)} tx, p50 {pct(during, .5):.1f} ms, "
      f"p99 {pct(during, .99):.1f} ms, max {max(during):.1f} ms")
slow = sorted(((l, s - b0) for s, e, l in load("backup") if e >= b0 and s <= b1), reverse=True)[:5]
print("slowest during the backup (ms, started at s after the backup began): " +
      ", ".join(f"{l:.0f} @ {o:.2f}" for l, o in slow))
verdict = "met" if max(during) <= p99 + 20 else "NOT met"
print(f"target max during backup <= plain p99 + 20 ms = {p99 + 20:.1f} ms: {verdict}")
# The same yardstick on the plain run itself: of its windows as long as the
# backup (every second a new one), how many held a transaction over the target?
# A backup that misses as often as the plain run adds nothing of its own.
plain_tx = load("plain"); t0 = min(s for s, _, _ in plain_tx); t1 = max(e for _, e, _ in plain_tx)
wins = [w for w in range(int(t1 - t0 - (b1 - b0)) + 1)]
over = sum(1 for w in wins if max([l for s, e, l in plain_tx
                                   if e >= t0 + w and s <= t0 + w + (b1 - b0)] or [0]) > p99 + 20)
print(f"plain run's own windows of {b1 - b0:.0f} s over the target: {over} of {len(wins)}")
probe = [tuple(map(float, l.split())) for l in open(sys.argv[5]) if l.strip()]
if probe:
    print("disk probe (fdatasync over 10 ms, ms @ s after the backup began): " +
          ", ".join(f"{ms:.0f} @ {t - b0:.2f}" for t, ms in probe if b0 - 1 <= t <= b1 + 1))
    print(f"disk probe during the plain run: {sum(1 for t, _ in probe if t < b0 - 5)} over 10 ms")
# The after-thaw copy: from the end of the writers' prepare (vss's timings)
# to pg_backup_stop (the writer's "backup mode off" line, less its wait for
# the segment's end): the clients' latencies while the data are copied.
import json, re, datetime
copy_start = copy_end = None
for line in open(sys.argv[4]):
    try: ev = json.loads(line)
    except ValueError:
        m = re.search(r"(\d\d):(\d\d):(\d\d\.\d+): writer postgresql: .*backup mode off.* after ([\d.]+) s", line)
        if m:
            day = datetime.datetime.fromtimestamp(b0, datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
            t = day + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
            t += 86400 if t < b0 - 3600 else 0   # past midnight
            copy_end = t - float(m.group(4))
        continue
    if ev.get("type") == "timings" and "prepare_ms" in ev:
        copy_start = b0 + ev["prepare_ms"] / 1000
if copy_start and copy_end and copy_end > copy_start:
    inside = [l for s, e, l in load("backup") if e >= copy_start and s <= copy_end]
    if inside:
        print(f"during the after-thaw copy ({copy_start - b0:.2f}-{copy_end - b0:.2f} s): {len(inside)} tx, "
              f"p50 {pct(inside, .5):.1f} ms, p99 {pct(inside, .99):.1f} ms, max {max(inside):.1f} ms")
for line in open(sys.argv[4]):
    try: ev = json.loads(line)
    except ValueError: continue
    if ev.get("type") == "timings":
        print("vss timings (ms): " + ", ".join(f"{k} {ev[k]:.0f}" for k in ("prepare_ms", "freeze_ms", "commit_ms", "window_ms", "total_ms") if k in ev))
    if ev.get("type") == "summary":
        print(f"vss: {ev.get('status')}, {ev.get('bytes', 0) / 1e6:.0f} MB, {ev.get('duration_ms', 0):.0f} ms")
PY
