#!/usr/bin/env python3
"""`vss backup`'s progress bar on a terminal of 40, 80 and 200 columns
(stderr is a pty of that size): no drawn line reaches the last column
(it would wrap), at most ~10 redraws a second, and something is drawn.
The data: one 64 MiB file and 1500 small ones, so a bar drawn per file
or per chunk would redraw hundreds of times.  Prints TAP.

Usage: test-vss-progress.py VSS"""
import fcntl, os, re, select, struct, subprocess, sys, tempfile, termios, time

VSS = sys.argv[1]
T = tempfile.mkdtemp(prefix="vss-progress-")
env = dict(os.environ, VSS_CONFIG_DIR=T + "/config", VSS_STATE_DIR=T + "/state",
           VSS_RUNTIME_DIR=T + "/run", VSS_WRITER_PATH=T + "/none",
           VSS_WRITER_SOCKET=T + "/run/none.sock")
env.pop("COLUMNS", None)
data = os.path.join(T, "data")
os.makedirs(os.path.join(data, "small"))
with open(os.path.join(data, "a-rather-long-file-name-for-a-large-file.bin"), "wb") as f:
    f.write(b"\1" * (64 << 20))
for i in range(1500):
    with open(os.path.join(data, "small", "f%04d" % i), "wb") as f:
        f.write(b"x" * 4096)
n = 0
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def check(ok, what, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        for line in str(detail).splitlines()[:8]:
            print("# " + line)


def run_under_pty(columns, target):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    started = time.monotonic()
    # crash: the set copies the live tree itself, with its progress (the
    # default after-thaw stages it first and then only moves the files)
    proc = subprocess.Popen([VSS, "backup", "--path", data, "--path-consistency", "crash",
                             "--to", target], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    output = b""
    draw_times = []   # when chunks with a redraw arrived: a rate shows after 0.5 s of copying
    deadline = started + 120
    while time.monotonic() < deadline:  # bounded: the backup takes seconds
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the pty
            break
        if not chunk:
            break
        if b"\r\x1b[K" in chunk:
            draw_times.append(time.monotonic())
        output += chunk
    rc = proc.wait(timeout=60)
    elapsed = time.monotonic() - started
    os.close(master)
    drawn_for = draw_times[-1] - draw_times[0] if draw_times else 0.0
    return rc, elapsed, drawn_for, output.decode("utf-8", "replace")


for columns in (40, 80, 200):
    rc, elapsed, drawn_for, output = run_under_pty(columns, os.path.join(T, "set-%d" % columns))
    check(rc == 0, "%d columns: the backup succeeds" % columns, output[-500:])
    draws = output.count("\r\x1b[K")
    # what each redraw left on the screen, and any other line
    shown = [ANSI.sub("", part) for part in re.split(r"\r\x1b\[K|\r|\n", output)]
    widest = max((len(s) for s in shown), default=0)
    check(widest < columns, "%d columns: no line reaches the last column" % columns,
          "widest %d: %r" % (widest, max(shown, key=len)))
    check(draws >= 1 and any("copy" in s for s in shown), "%d columns: a bar is drawn" % columns,
          repr(output[:300]))
    limit = 10 * elapsed + 3
    check(draws <= limit, "%d columns: at most 10 redraws a second (%d in %.2f s)" % (columns, draws, elapsed))
    if columns == 200:
        check(any(re.search(r"\[#*\.*\] +\d+%", s) for s in shown),
              "200 columns: a bar and a percentage", "\n".join(shown[:5]))
        # the rate needs 0.5 s of copying; the redraws seen tell how long it was
        check(any("/s" in s for s in shown) or drawn_for < 0.7,
              "200 columns: a rate once the copy has run for a while (drawn for %.2f s)" % drawn_for,
              "\n".join(shown[-5:]))

print("1..%d" % n)
subprocess.run(["rm", "-rf", T])
