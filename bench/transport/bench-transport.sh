#!/bin/bash
# bench-transport.sh BUILD_DIR [REPS] — the cost of running writers in
# helper processes instead of threads: gather_writer_metadata (which
# starts the helpers) and prepare_for_backup + do_snapshot_set ("prepare
# → thaw": six events per writer and a copy-provider commit of a 2-file
# tree) with 1, 10 and 100 no-op writers, the helper transport side by
# side with the in-process one in the same run.  Medians of REPS (default
# 7) runs.  Prints a markdown table; docs/benchmarks-transport.md holds a
# run.  Target: prepare → thaw for 100 no-op helper writers under 100 ms.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [REPS]}" && pwd)
reps=${2:-7}
src=$(cd "$(dirname "$0")/../.." && pwd)

work=$(mktemp -d /tmp/vss-bench-transport.XXXXXX)
trap 'rm -rf "$work"' EXIT
flags=$(pkg-config --cflags --libs glib-2.0 gio-2.0)
cc -O2 -o "$work/driver" "$src/bench/transport/bench-transport-driver.c" -I"$src/include" \
   -I"$build/include" -L"$build/libvss" -Wl,-rpath,"$build/libvss" -lvss $flags
# shellcheck disable=SC2086
cc -O2 -shared -fPIC -o "$work/noop.so" "$src/bench/transport/noop-writer.c" -I"$src/include" \
   -I"$build/include" $(pkg-config --cflags glib-2.0 gmodule-2.0)
mkdir -p "$work/data/sub" "$work/state" "$work/run" "$work/config"
echo alpha > "$work/data/a"; echo bravo > "$work/data/sub/b"
export VSS_STATE_DIR="$work/state" VSS_RUNTIME_DIR="$work/run" VSS_CONFIG_DIR="$work/config"
export VSS_WRITER_HOST="$build/libvss/writer-host/host/vss-writer-host"
# No daemon's application writers in the measurement.
export VSS_WRITER_SOCKET="$work/run/none.sock"

median () { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "| writers | gather inproc (ms) | gather helper (ms) | ratio | prepare→thaw inproc (ms) | prepare→thaw helper (ms) | ratio | freeze window inproc / helper (ms) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in 1 10 100; do
  dir="$work/writers-$n"; mkdir -p "$dir"
  for i in $(seq 0 $((n - 1))); do install -m 0644 "$work/noop.so" "$dir/noop-$i.so"; done
  declare -A g p w
  for t in inproc helper; do
    "$work/driver" "$t" "$dir" "$work/data" 1 > /dev/null   # warm-up
    "$work/driver" "$t" "$dir" "$work/data" "$reps" > "$work/$t-$n.txt"
    g[$t]=$(awk '{print $1}' "$work/$t-$n.txt" | median)
    p[$t]=$(awk '{print $2}' "$work/$t-$n.txt" | median)
    w[$t]=$(awk '{print $3}' "$work/$t-$n.txt" | median)
  done
  awk -v n="$n" -v gi="${g[inproc]}" -v gh="${g[helper]}" -v pi="${p[inproc]}" -v ph="${p[helper]}" \
      -v wi="${w[inproc]}" -v wh="${w[helper]}" 'BEGIN {
    printf "| %d | %.1f | %.1f | %.1f× | %.1f | %.1f | %.1f× | %.2f / %.2f |\n",
           n, gi, gh, gh / gi, pi, ph, ph / pi, wi, wh }'
done
