#!/usr/bin/env python3
"""mover.py DB_A LOCK_A DB_B LOCK_B STOP_FILE — moves one unit at a time
from host A's store to host B's: debit A, commit, a millisecond in
flight, credit B, commit.  Around each transfer it holds both hosts'
locks (taken without blocking, or backs off), which the cluster test
writer takes while its host is frozen: a frozen host holds the mover off,
so no transfer is ever half done while every host is frozen.  Ends when
STOP_FILE exists (or after 10 minutes)."""
import fcntl, os, sqlite3, sys, time

db_a, lock_a, db_b, lock_b, stop = sys.argv[1:6]

def try_lock(path):
    f = open(path, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return f
    except OSError:
        f.close()
        return None

a, b = sqlite3.connect(db_a), sqlite3.connect(db_b)
deadline = time.monotonic() + 600
moved = 0
while not os.path.exists(stop) and time.monotonic() < deadline:
    fa = try_lock(lock_a)
    fb = try_lock(lock_b) if fa else None
    if not fb:
        if fa:
            fa.close()
        time.sleep(0.0005)
        continue
    a.execute("UPDATE acct SET units = units - 1"); a.commit()
    time.sleep(0.001)
    b.execute("UPDATE acct SET units = units + 1"); b.commit()
    fb.close(); fa.close()
    moved += 1
print(moved)
