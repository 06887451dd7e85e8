#!/usr/bin/env python3
"""`vss daemon` under systemd's protocol, without systemd: readiness
(READY=1 on $NOTIFY_SOCKET once the socket is served, STOPPING=1 at
SIGTERM) and socket activation (it serves the listening socket passed as
fd 3 with LISTEN_FDS/LISTEN_PID, leaves that socket file to its owner, and
an application writer registers through it).  Prints TAP.

Usage: test-vss-daemon.py VSS APP_WRITER TEST_WRITER_MODULE"""
import json, os, signal, socket, subprocess, sys, tempfile, time

VSS, APP_WRITER, MODULE = sys.argv[1:4]
T = tempfile.mkdtemp(prefix="vss-daemon-")
ENV = dict(os.environ, VSS_CONFIG_DIR=T + "/config", VSS_STATE_DIR=T + "/state",
           VSS_RUNTIME_DIR=T + "/run", VSS_WRITER_PATH=T + "/none")
for d in ("config", "state", "run", "none"):
    os.makedirs(os.path.join(T, d))
n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failed += 1
        for line in str(detail).splitlines()[:10]:
            print("# " + line)


def notify_socket(name):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = os.path.join(T, name)
    sock.bind(path)
    sock.settimeout(10)
    return sock, path


def receive(sock):
    try:
        return sock.recv(4096).decode()
    except socket.timeout:
        return ""


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out.decode() + err.decode()


# --- readiness, on a socket it binds itself
note, note_path = notify_socket("notify-1")
own = os.path.join(T, "run", "own.sock")
proc = subprocess.Popen([VSS, "daemon", "--socket", own], env=dict(ENV, NOTIFY_SOCKET=note_path),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
ready = receive(note)
check("READY=1" in ready.split("\n"), "vss daemon sends READY=1 to $NOTIFY_SOCKET", repr(ready))
check(os.path.exists(own), "…once the socket it serves exists")
rc, output = stop(proc)
check(rc == 0, "vss daemon exits 0 at SIGTERM", output)
check("STOPPING=1" in receive(note), "…after sending STOPPING=1")
check(not os.path.exists(own), "…and removes the socket it bound")

# --- socket activation: the listening socket as fd 3
note, note_path = notify_socket("notify-2")
passed = os.path.join(T, "run", "passed.sock")
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(passed)
listener.listen(16)
fd = listener.fileno()
# sh keeps its pid across exec, so $$ is the daemon's pid: LISTEN_PID.
shell = 'exec 3<&%d; LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"' % fd
env = dict(ENV, NOTIFY_SOCKET=note_path, VSS_WRITER_SOCKET=passed)
proc = subprocess.Popen(["sh", "-c", shell, "sh", VSS, "daemon"], env=env, pass_fds=(fd,),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
listener.close()  # the daemon holds it now
ready = receive(note)
check("READY=1" in ready.split("\n"), "with LISTEN_FDS, vss daemon is ready", repr(ready))
app = subprocess.Popen([APP_WRITER, "host", MODULE, passed], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
host = ""
for _ in range(50):  # bounded: 5 s for the writer to register
    listing = subprocess.run([VSS, "--json", "writers"], env=env, capture_output=True, timeout=30)
    events = [json.loads(l) for l in listing.stdout.decode().splitlines() if l.strip()]
    hosts = [e.get("host", "") for e in events if e.get("type") == "writer"]
    host = next((h for h in hosts if h.startswith("application pid")), "")
    if host:
        break
    time.sleep(0.1)
check(host.startswith("application pid %d " % app.pid),
      "an application writer registers through the passed socket", "writers seen: %r" % host)
app.terminate()
app.communicate(timeout=10)
rc, output = stop(proc)
check(rc == 0, "the activated daemon exits 0 at SIGTERM", output)
check("(inherited)" in output, "…having said it served the inherited socket", output)
check(os.path.exists(passed), "…and leaves the passed socket's file to its owner")

print("1..%d" % n)
subprocess.run(["rm", "-rf", T])
