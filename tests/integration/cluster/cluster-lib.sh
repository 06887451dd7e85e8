# cluster-lib.sh — sourced by the cluster tests and benchmarks: a
# three-member etcd cluster on 127.0.0.1 and `vss agent`s, each "host"
# with its own VSS_CONFIG_DIR/VSS_STATE_DIR/VSS_RUNTIME_DIR, all under $T.
# Every process started here is recorded and killed by cluster_cleanup
# (call it from an EXIT trap).  Needs BUILD, T and VSS set.

ETCD_PIDS=()
AGENT_PIDS=()
OTHER_PIDS=()
ETCD_CLIENT_PORTS=()
ETCD_ENDPOINTS=

# A base port with 20 free ports above it (bounded search).
free_port_base() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000, 20)
    try:
        socks = []
        for p in range(base, base + 20):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}

# Three members with distinct client/peer ports and data dirs.
etcd_start_cluster() {
  local base i initial=
  base=$(free_port_base)
  # tmpfs when there is one (etcd fsyncs every write), unless
  # ETCD_ON_DISK=1 (the benchmark measures both)
  if [ -n "${ETCD_ON_DISK:-}" ]; then ETCD_DIR=$(mktemp -d "$T/etcd-XXXXXX")
  else ETCD_DIR=$(mktemp -d /dev/shm/vss-etcd-XXXXXX 2>/dev/null || mktemp -d "$T/etcd-XXXXXX"); fi
  for i in 0 1 2; do initial+="${initial:+,}m$i=http://127.0.0.1:$((base + 10 + i))"; done
  for i in 0 1 2; do
    ETCD_CLIENT_PORTS[$i]=$((base + i))
    etcd --name "m$i" --data-dir "$ETCD_DIR/m$i" \
      --listen-client-urls "http://127.0.0.1:$((base + i))" --advertise-client-urls "http://127.0.0.1:$((base + i))" \
      --listen-peer-urls "http://127.0.0.1:$((base + 10 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((base + 10 + i))" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "vss-$base" \
      --heartbeat-interval 50 --election-timeout 500 --log-level error > "$ETCD_DIR/m$i.log" 2>&1 &
    ETCD_PIDS[$i]=$!
  done
  ETCD_ENDPOINTS="http://127.0.0.1:$base,http://127.0.0.1:$((base + 1)),http://127.0.0.1:$((base + 2))"
  local until=$((SECONDS + 20))
  while [ $SECONDS -lt $until ]; do   # bounded: 20 s
    etcdctl --dial-timeout=500ms --command-timeout=1s --endpoints "$ETCD_ENDPOINTS" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "# etcd did not become healthy:" >&2; tail -n 5 "$ETCD_DIR"/m*.log | sed 's/^/# /' >&2
  return 1
}

etcd_stop_member() { kill -9 "${ETCD_PIDS[$1]}" 2>/dev/null; wait "${ETCD_PIDS[$1]}" 2>/dev/null; ETCD_PIDS[$1]=; }

# host_env NAME: the environment of one "host".
host_dirs() { mkdir -p "$T/hosts/$1"/{config,state,run,writers,data}; }
host_env() {
  echo "VSS_CONFIG_DIR=$T/hosts/$1/config VSS_STATE_DIR=$T/hosts/$1/state VSS_RUNTIME_DIR=$T/hosts/$1/run VSS_WRITER_PATH=$T/hosts/$1/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host"
}

# write_cluster_conf NAME [TTL]: the agent's cluster.conf (endpoints, prefix, TTL).
write_cluster_conf() {
  host_dirs "$1"
  cat > "$T/hosts/$1/config/cluster.conf" <<CONF
[etcd]
endpoints=${ETCD_ENDPOINTS//,/;}
prefix=${CLUSTER_PREFIX:-/vss/test}
lease-ttl=${2:-2}
request-timeout-ms=1000
CONF
}

# agent_start NAME [ARGS…]: `vss agent` for that host; its pid in AGENT_PID[NAME].
declare -A AGENT_PID
agent_start() {
  local name=$1; shift
  [ -f "$T/hosts/$name/config/cluster.conf" ] || write_cluster_conf "$name"
  env $(host_env "$name") ${AGENT_ENV:-} "$VSS" agent --name "$name" "$@" > "$T/hosts/$name/agent.log" 2>&1 &
  AGENT_PID[$name]=$!
  AGENT_PIDS+=($!)
}

# Waits (bounded, 10 s) until the named hosts are registered.
agents_registered() {
  local tries h all
  for tries in $(seq 1 100); do
    all=1
    for h in "$@"; do
      etcdctl --endpoints "$ETCD_ENDPOINTS" get "${CLUSTER_PREFIX:-/vss/test}/hosts/$h" --print-value-only 2>/dev/null | grep -q . || all=0
    done
    [ $all = 1 ] && return 0
    sleep 0.1
  done
  return 1
}

agent_stop() {
  local pid=${AGENT_PID[$1]}
  kill -CONT "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
  local tries; for tries in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

cluster_cleanup() {
  local p
  for p in "${AGENT_PIDS[@]:-}" "${OTHER_PIDS[@]:-}"; do
    [ -n "$p" ] && { kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; }
  done
  for p in "${ETCD_PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${ETCD_DIR:-}" ] && rm -rf "$ETCD_DIR"
}

# ---- TAP and checks shared by the tests ----
n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }

# cluster_host NAME [TTL]: a host with the cluster test writer and a data dir.
cluster_host() {
  write_cluster_conf "$1" "${2:-2}"
  install -m 644 "$BUILD/tests/integration/cluster/libvss-test-cluster.so" "$T/hosts/$1/writers/"
}
# The writer state of a host: "freeze …", "thaw …", "abort …" or nothing.
writer_state() { cat "$T/hosts/$1/writer.state" 2>/dev/null | cut -d' ' -f1; }
writer_time() { cat "$T/hosts/$1/writer.state" 2>/dev/null | cut -d' ' -f2; }
# start_cluster_agent NAME [ARGS…]: the agent with its writer's files.
start_cluster_agent() {
  local name=$1; shift
  AGENT_ENV="VSS_TEST_STATE_FILE=$T/hosts/$name/writer.state VSS_TEST_LOCK_FILE=$T/hosts/$name/data.lock ${EXTRA_ENV:-}" \
    agent_start "$name" --path "$T/hosts/$name/data" "$@"
}

# vss on host NAME.
vss_on() { local name=$1; shift; env $(host_env "$name") "$VSS" "$@"; }

# No writer frozen and no snapshot left on any of the hosts.
no_writer_frozen() { local h; for h in "$@"; do [ "$(writer_state "$h")" != freeze ] || { echo "# $h still frozen"; return 1; }; done; }
no_snapshots_left() {
  local h out
  for h in "$@"; do
    out=$(vss_on "$h" shadows list 2>&1)
    echo "$out" | grep -q "no snapshots" || { echo "# $h: $out"; return 1; }
  done
}
# Backup as a requester configured like host a, extra args after.
cluster_backup() { "$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/hosts/a/config/cluster.conf" "$@"; }
# The same in the background, $! being vss itself (not a subshell).
cluster_backup_bg() {
  local out=$1; shift
  "$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/hosts/a/config/cluster.conf" "$@" > "$out" 2>&1 &
}

# Waits up to $2 s (bounded) for host $1's writer to reach state $3.
wait_writer_state() {
  local tries; for tries in $(seq 1 $(($2 * 100))); do [ "$(writer_state "$1")" = "$3" ] && return 0; sleep 0.01; done; return 1
}

# Stops every agent (SIGTERM: leak checks run at exit) and finds no
# sanitizer report in any agent log or command output under $T.  LSan's
# own crash ("Tracer caught signal 11 … LeakSanitizer has encountered a
# fatal error", seen under heavy load) is no finding: it is only noted.
sanitizer_clean() {
  local h
  for h in "${!AGENT_PID[@]}"; do agent_stop "$h"; done
  grep -rl "LeakSanitizer has encountered a fatal error" "$T" --include='*.log' --include='*.out' 2>/dev/null |
    sed 's/^/# LSan could not run (tracer crash): /'
  ! grep -rlE "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer" "$T" \
      --include='*.log' --include='*.out' 2>/dev/null | sed 's/^/# /' | grep .
}
