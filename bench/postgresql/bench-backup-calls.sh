#!/usr/bin/env bash
# bench-backup-calls.sh — what PostgreSQL's own backup calls cost pgbench's
# clients, with no vss and no copy: one psql session calls
# pg_backup_start('x', true), waits 3 s, calls pg_backup_stop(false); with
# "near", each call waits first for the WAL insert position to be within
# 2 MiB of its 16 MiB segment's end (what the writer's wal_switch_wait
# does).  Prints, for each call, its duration and the four slowest
# transactions overlapping it.
# Usage (root): bench/postgresql/bench-backup-calls.sh SECONDS near|at
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
T=$(mktemp -d /tmp/vss-bench-calls-XXXXXX); chmod 755 $T; mkdir -p $T/pg $T/sock $T/logs; chown postgres: $T/pg $T/sock $T/logs
D=$T/pg/data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
trap 'as_pg "$PGBIN/pg_ctl" -D "$D" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
as_pg $PGBIN/initdb -D $D -U postgres --auth=trust >/dev/null
as_pg $PGBIN/pg_ctl -D $D -l $T/pg/log -w -o "-p $PORT -k $T/sock -c listen_addresses=''" start >/dev/null
PGB=($PGBIN/pgbench -h $T/sock -p $PORT -U postgres)
"${PGB[@]}" -i -s 10 -q postgres >/dev/null 2>&1
cat > $T/near.sh <<EON
#!/bin/bash
for i in \$(seq 3000); do
  L=\$(psql -X -h $T/sock -p $PORT -U postgres -At -d postgres -c "SELECT 16777216 - pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint % 16777216")
  [ "\$L" -le 2097152 ] && exit 0; sleep 0.01
done
EON
chmod +x $T/near.sh
(cd $T/logs && "${PGB[@]}" -c 4 -j 2 -T ${1:-60} --log --log-prefix=x postgres >/dev/null 2>&1) & LOAD=$!
sleep 3
W=${2:-near}
psql -X -h $T/sock -p $PORT -U postgres -At -d postgres -q \
  -c "\\! [ $W = near ] && $T/near.sh; date +%s.%N >> $T/ev" -c "select 1 from pg_backup_start('x', true)" -c "\\! date +%s.%N >> $T/ev; sleep 3; [ $W = near ] && $T/near.sh; date +%s.%N >> $T/ev" \
  -c "select 1 from pg_backup_stop(false)" -c "\\! date +%s.%N >> $T/ev" >/dev/null
wait $LOAD
python3 - $T <<'PY'
import sys, glob
T=sys.argv[1]; tx=[]
for f in glob.glob(T+"/logs/x.*"):
    for line in open(f):
        p=line.split(); e=int(p[4])+int(p[5])/1e6; lat=int(p[2])/1e3; tx.append((e-lat/1e3,e,lat))
lats=sorted(l for _,_,l in tx); print("p99 %.1f"%lats[int(.99*len(lats))])
ev=[float(x) for x in open(T+"/ev").read().split()]
for name,(a,b) in (("start",(ev[0],ev[1])),("stop",(ev[2],ev[3]))):
    m=sorted([l for s,e,l in tx if e>=a and s<=b+0.02], reverse=True)[:4]
    print("%s: call %.0f ms, slowest overlapping %s"%(name,(b-a)*1000, ", ".join("%.1f"%x for x in m)))
PY
