#!/usr/bin/env bash
# A sparse LMDB store (slapd's usual maxsize: a large map, a few hundred MB
# used, the rest of data.mdb a hole) backed up with `vss backup -c
# directory` vs `mdb_copy` of the same environment, same run.  Reports
# the time ratio (target ≤ 1.2×).
# Usage: bench/sparse/run.sh BUILD_DIR [USED_MB] [MAP_GB] [RUNS]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
USED_MB=${2:-400}
MAP_GB=${3:-8}
RUNS=${4:-3}
T=$(mktemp -d /tmp/vss-bench-sparse-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{env,config,state,run,writers,sets}
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
install -m 644 "$BUILD/writers/directory/directory.so" "$T/writers/"
printf '[directory]\nenvironments=%s\n' "$T/env" > "$T/config/directory.conf"
records=$((USED_MB * 1000))   # 1000-byte values (bytevalue: two hex digits a byte)
awk -v n=$records 'BEGIN { print "VERSION=3"; print "format=bytevalue"; print "type=btree";
  printf "mapsize=%d\n", 16 * 1024 * 1024 * 1024; print "HEADER=END"
  v = ""; for (i = 0; i < 1000; i++) v = v "ab"
  for (i = 0; i < n; i++) printf " %08x\n %s\n", i, v; print "DATA=END" }' | mdb_load -s id2entry "$T/env"
truncate -s "${MAP_GB}G" "$T/env/data.mdb"      # the hole slapd's maxsize leaves
echo "# data.mdb: $(du -h --apparent-size "$T/env/data.mdb" | cut -f1) apparent, $(du -h "$T/env/data.mdb" | cut -f1) allocated"
# Wall seconds; CPU seconds (user + system, children included) to $T/cpu.
seconds() { local s e; s=$(date +%s%N)
            /usr/bin/time -f "%U %S" -o "$T/cpu.raw" "$@" > "$T/out" 2>&1 || { cat "$T/out" >&2; exit 1; }
            e=$(date +%s%N); awk '{ printf "%.2f", $1 + $2 }' "$T/cpu.raw" > "$T/cpu"
            awk -v ns=$((e - s)) 'BEGIN { printf "%.3f", ns / 1e9 }'; }
# Each command starts on a settled device (the previous one's writes synced,
# the host given a moment), and the order alternates, so neither tool
# inherits the other's write-back; the ratio is of the two medians.
settle() { sync; sleep 1; }
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | mdb_copy (s) | vss backup -c directory (s) | ratio | CPU s: mdb_copy, vss |"
echo "|---:|---:|---:|---:|---:|"
: > "$T/m.all"; : > "$T/v.all"
run_mdb_copy() { rm -rf "$T/copy"; mkdir -p "$T/copy"; settle
                 m=$(seconds mdb_copy "$T/env" "$T/copy"); mc=$(cat "$T/cpu"); }
run_vss() { rm -rf "$T/sets/s$r"; settle
            v=$(seconds "$BUILD/requester/vss" backup -c directory --to "$T/sets/s$r"); vc=$(cat "$T/cpu"); }
for r in $(seq "$RUNS"); do
  if [ $((r % 2)) = 1 ]; then run_mdb_copy; run_vss; else run_vss; run_mdb_copy; fi
  echo "$m" >> "$T/m.all"; echo "$v" >> "$T/v.all"
  # the same bytes as mdb_copy's: nothing writes to the store meanwhile
  cmp -s "$T/copy/data.mdb" "$T/sets/s$r/files/0$T/env/data.mdb" || v="$v (differs from mdb_copy!)"
  awk -v r=$r -v m="$m" -v v="$v" -v mc="$mc" -v vc="$vc" \
    'BEGIN { printf "| %d | %s | %s | %.2f | %s, %s |\n", r, m, v, v / m, mc, vc }'
  rm -rf "$T/sets/s$r"
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mm=$(median "$T/m.all"); vm=$(median "$T/v.all")
awk -v m="$mm" -v v="$vm" 'BEGIN { printf "# medians: mdb_copy %.3f s, vss %.3f s, ratio %.2f\n", m, v, v / m }'
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
