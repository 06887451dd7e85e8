#!/usr/bin/env bash
# bench/images/bench-images.sh — writer images end to end, next to the
# peer tools, same run, same filesystem:
#   directory:   `vss backup -c directory --to SET` (an LMDB image streamed
#                into the set: hashed, stored, the set synced) vs
#                `mdb_copy ENV DIR` (O_DIRECT, no hash);
#   certificate: `vss backup -c certificate --to SET` of a WAL-mode SQLite
#                store vs `sqlite3 DB ".backup FILE"`.
# Ratio = peer time / vss time (1.0: as fast; above: vss faster).
#   bench/images/bench-images.sh [BUILD_DIR] [MB] [RUNS]
# Medians of RUNS (default 3); load average before and after.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
MB=${2:-400}
RUNS=${3:-3}
T=$(mktemp -d /var/tmp/vss-bench-images-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{env,config,state,run,writers,out,ca}
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
VSS=$BUILD/requester/vss
awk -v n=$((MB * 1000)) 'BEGIN { print "VERSION=3"; print "format=bytevalue"; print "type=btree";
  printf "mapsize=%d\n", 4 * 1024 * 1024 * 1024; print "HEADER=END"
  v = ""; for (i = 0; i < 1000; i++) v = v "ab"
  for (i = 0; i < n; i++) printf " %08x\n %s\n", i, v; print "DATA=END" }' | mdb_load "$T/env"
sqlite3 "$T/ca/ca.db" "PRAGMA journal_mode=wal; CREATE TABLE certs(id INTEGER PRIMARY KEY, der BLOB);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $((MB * 1000)))
  INSERT INTO certs(der) SELECT randomblob(900) FROM c;" > /dev/null
install -m 644 "$BUILD/writers/directory/directory.so" "$BUILD/writers/certificate/certificate.so" "$T/writers/"
printf '[directory]\nenvironments=%s\n' "$T/env" > "$T/config/directory.conf"
printf '[certificate]\ndatabases=%s\n' "$T/ca/ca.db" > "$T/config/certificate.conf"
cat "$T/env/data.mdb" "$T/ca/ca.db" > /dev/null   # warm cache for all

# Wall seconds; the CPU seconds (user + system, children included: vss's
# writer helper) go to $T/cpu, since on a loaded machine the wall time
# mostly measures the wait for a core.
seconds() { local s e; s=$(date +%s%N)
            /usr/bin/time -f "%U %S" -o "$T/cpu.raw" "$@" > "$T/cmd.out" 2>&1 || { cat "$T/cmd.out" >&2; exit 1; }
            e=$(date +%s%N); awk '{ printf "%.2f", $1 + $2 }' "$T/cpu.raw" > "$T/cpu"
            awk -v ns=$((e - s)) 'BEGIN { printf "%.3f", ns / 1e9 }'; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data.mdb $(du -h "$T/env/data.mdb" | cut -f1), ca.db $(du -h "$T/ca/ca.db" | cut -f1) (WAL mode; the last connection checkpointed it)"
echo "| run | mdb_copy s (cpu) | vss -c directory s (cpu) | ratio | sqlite3 .backup s | vss -c certificate s | ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for r in $(seq "$RUNS"); do
  rm -rf "$T/out"/*; mkdir -p "$T/out/mdb"; sync
  m=$(seconds mdb_copy "$T/env" "$T/out/mdb"); mc=$(cat "$T/cpu"); sync
  d=$(seconds "$VSS" backup -c directory --to "$T/out/dir"); dc=$(cat "$T/cpu"); sync
  s=$(seconds sqlite3 "$T/ca/ca.db" ".backup $T/out/sqlite.db"); sync
  c=$(seconds "$VSS" backup -c certificate --to "$T/out/cert")
  cmp -s "$T/out/mdb/data.mdb" "$T/out/dir/files/0$T/env/data.mdb" || d="$d (differs from mdb_copy!)"
  awk -v r=$r -v m="$m" -v d="$d" -v s="$s" -v c="$c" -v mc="$mc" -v dc="$dc" \
    'BEGIN { printf "| %d | %s (%s) | %s (%s) | %.2f | %s | %s | %.2f |\n", r, m, mc, d, dc, m / d, s, c, s / c }'
done | tee "$T/rows"
awk -F'|' '{ print $5 }' "$T/rows" | median | sed 's/^/median directory ratio: /'
awk -F'|' '{ print $8 }' "$T/rows" | median | sed 's/^/median certificate ratio: /'
cpu_of() { awk -F'|' -v col="$1" '{ print $col }' "$T/rows" | sed 's/.*(\([0-9.]*\)).*/\1/' | median; }
echo "median CPU seconds: mdb_copy $(cpu_of 3), vss -c directory $(cpu_of 4)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
