#!/usr/bin/env bash
# bench-cluster.sh BUILD_ROOT SOURCE_ROOT [AGENTS…] — what the cluster
# barrier adds to the freeze the writers see.
#
# For each agent count (default: 3 30) it starts a three-member etcd on
# 127.0.0.1 (data on tmpfs; ETCD_ON_DISK=1: on the disk under /tmp), that many `vss agent`s (one no-op cluster
# test writer and a one-file --path each, copy provider), runs $RUNS
# (default 5) cluster backups and reads every agent's "writers frozen for
# X ms" (the coordinator's window: first freeze sent → last thaw
# answered).  The baseline is $RUNS local `vss backup`s of one such host.
# Prints one line per configuration: median and max of the window.
set -uo pipefail
BUILD=$1; SRC=$2; shift 2
COUNTS=("${@:-3 30}"); COUNTS=(${COUNTS[@]})
RUNS=${RUNS:-5}
VSS=$BUILD/requester/vss
T=$(mktemp -d /tmp/vss-bench-cluster-XXXXXX)
. "$SRC/tests/integration/cluster/cluster-lib.sh"
trap 'cluster_cleanup; rm -rf "$T"' EXIT

stats() {  # median and max of the numbers on stdin
  sort -n | awk '{ v[NR] = $1 } END { printf "median %.1f ms  max %.1f ms  (n=%d)", v[int((NR + 1) / 2)], v[NR], NR }'
}
windows() { grep -h "writers frozen for" "$@" | sed 's/.*frozen for \([0-9.]*\) ms.*/\1/'; }

echo "load average before: $(cat /proc/loadavg)"
echo "etcd data on $([ -n "${ETCD_ON_DISK:-}" ] && echo "disk (ext4, under /tmp)" || echo tmpfs)"
etcd_start_cluster || exit 1
cluster_host local0; echo x > "$T/hosts/local0/data/f"
for r in $(seq 1 "$RUNS"); do
  VSS_NO_PREFLUSH=1 vss_on local0 backup --path "$T/hosts/local0/data" --to "$T/local-$r" > "$T/local-$r.out" 2>&1
done
echo "local backup (1 host):      $(windows "$T"/local-*.out | stats)"

for count in "${COUNTS[@]}"; do
  names=()
  for i in $(seq 1 "$count"); do
    h=h$count-$i; names+=("$h")
    CLUSTER_PREFIX=/vss/bench$count cluster_host "$h" 5; echo x > "$T/hosts/$h/data/f"
    AGENT_ENV=VSS_NO_PREFLUSH=1 agent_start "$h" --path "$T/hosts/$h/data"
  done
  CLUSTER_PREFIX=/vss/bench$count agents_registered "${names[@]}" || { echo "agents did not register"; exit 1; }
  for r in $(seq 1 "$RUNS"); do
    start=$(date +%s%N)
    "$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/hosts/${names[0]}/config/cluster.conf" \
      --to "$T/cluster-$count-$r" > "$T/cluster-$count-$r.out" 2>&1 || echo "run $r failed: $(tail -1 "$T/cluster-$count-$r.out")"
    echo "$(( ($(date +%s%N) - start) / 1000000 ))" >> "$T/total-$count"
  done
  logs=(); for h in "${names[@]}"; do logs+=("$T/hosts/$h/agent.log"); done
  echo "cluster, $count agents:  $(windows "${logs[@]}" | stats)   whole backup: $(stats < "$T/total-$count")"
  # Where the window goes, from the manifests (one clock: same machine):
  # how far apart the hosts froze, and the barrier (last freeze → first
  # thaw) split into the last "frozen" report reaching the requester, its
  # go put, and the go reaching the agents.
  python3 - "$T"/cluster-"$count"-*/cluster.json <<'PY'
import json, statistics, sys
rows = {k: [] for k in ("spread", "barrier", "report", "go_put", "go_seen")}
for path in sys.argv[1:]:
    m = json.load(open(path)); r = m["requester"]; hosts = m["hosts"]
    frozen = [h["frozen_usec"] for h in hosts]
    rows["spread"].append((max(frozen) - min(frozen)) / 1000)
    rows["barrier"].append((m["frozen_until_usec"] - m["frozen_from_usec"]) / 1000)
    rows["report"].append((r["all_frozen_usec"] - max(frozen)) / 1000)
    rows["go_put"].append((r["go_thaw_usec"] - r["all_frozen_usec"]) / 1000)
    rows["go_seen"].append((max(h["thaw_usec"] for h in hosts) - r["go_thaw_usec"]) / 1000)
med = {k: statistics.median(v) for k, v in rows.items()}
print("    medians: freezes spread over %(spread).1f ms; last freeze -> first thaw (the barrier) %(barrier).1f ms:"
      " last freeze -> requester saw all frozen %(report).1f, its go put %(go_put).1f,"
      " go put returned -> last agent past the gate %(go_seen).1f" % med)
PY
  for h in "${names[@]}"; do agent_stop "$h"; done
done
echo "load average after: $(cat /proc/loadavg)"
