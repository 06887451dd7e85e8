#!/usr/bin/env python3
"""etcd-latency.py ENDPOINT [N] — what one barrier is made of, measured on
etcd's v3 JSON gateway the way libvss uses it (HTTP/1.1, keep-alive):

  put, one client       a report or go: one raft proposal + WAL fsync
  put, N clients        N agents reporting at once (one connection each)
  watch delivery        put sent → the event read from another
                        client's open watch stream
  new connection + put  what a client pays without keep-alive
  shared counter        N clients each adding one to one key with a
                        compare-and-put txn (the alternative to a key
                        per agent)
  new watch             POST /v3/watch until "created": what a barrier
                        paid when it opened its watch inside the window

Prints the median and 90th percentile of each, in ms."""
import base64, http.client, json, statistics, sys, threading, time

endpoint = sys.argv[1].split(",")[0].replace("http://", "")
host, port = endpoint.split(":")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 30
ROUNDS = 20


def b64(s):
    return base64.b64encode(s.encode()).decode()


def connect():
    return http.client.HTTPConnection(host, int(port), timeout=10)


def post(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    reply = conn.getresponse().read()
    return json.loads(reply)


def put(conn, key, value="{}"):
    post(conn, "/v3/kv/put", {"key": b64(key), "value": b64(value)})


def report(name, samples):
    samples = sorted(samples)
    p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
    print("%-34s median %6.2f ms   p90 %6.2f ms   (n=%d)" % (name, statistics.median(samples), p90, len(samples)))


def ms_since(t0):
    return (time.monotonic() - t0) * 1000


conn = connect()
samples = []
for i in range(ROUNDS * 5):
    t0 = time.monotonic()
    put(conn, "/bench/one/%d" % i)
    samples.append(ms_since(t0))
report("put, one client (keep-alive)", samples)

samples = []
for i in range(ROUNDS):
    t0 = time.monotonic()
    c = connect()
    put(c, "/bench/fresh/%d" % i)
    c.close()
    samples.append(ms_since(t0))
report("new connection + put", samples)

def at_once(work):
    """work(i) on N threads released together; each one's ms until done,
    and what each returned."""
    start = threading.Barrier(N + 1)
    done, results = [0.0] * N, [None] * N

    def one(i):
        start.wait()
        results[i] = work(i)
        done[i] = time.monotonic()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    return [(d - t0) * 1000 for d in done], results


conns = [connect() for _ in range(N)]
for c in conns:
    put(c, "/bench/warm")
samples, last = [], []
for r in range(ROUNDS):
    each, _ = at_once(lambda i: put(conns[i], "/bench/many/%d/%d" % (r, i)))
    samples += each
    last.append(max(each))
report("put, %d clients at once (each)" % N, samples)
report("put, %d clients at once (last)" % N, last)


def cas_increment(c, key):
    """One shared counter: read, then txn (value == read) → put read+1;
    again when another client won.  Returns the number of txns."""
    tries = 0
    while True:
        tries += 1
        r = post(c, "/v3/kv/range", {"key": b64(key)})
        kvs = r.get("kvs", [])
        n = int(base64.b64decode(kvs[0]["value"])) if kvs else 0
        cmp = ({"key": b64(key), "target": "VERSION", "result": "EQUAL", "version": "0"} if not kvs else
               {"key": b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": kvs[0]["mod_revision"]})
        t = post(c, "/v3/kv/txn", {"compare": [cmp],
                                   "success": [{"request_put": {"key": b64(key), "value": b64(str(n + 1))}}]})
        if t.get("succeeded"):
            return tries


samples, txns = [], []
for r in range(ROUNDS // 2):
    each, tries = at_once(lambda i: cas_increment(conns[i], "/bench/counter/%d" % r))
    samples.append(max(each))
    txns.append(sum(tries))
report("shared counter, %d clients (last)" % N, samples)
print("%-34s median %d range+txn pairs for %d increments" % ("", statistics.median(txns), N))


def open_watch(prefix):
    c = connect()
    body = {"create_request": {"key": b64(prefix), "range_end": b64(prefix[:-1] + chr(ord(prefix[-1]) + 1))}}
    c.request("POST", "/v3/watch", json.dumps(body), {"Content-Type": "application/json"})
    resp = c.getresponse()
    resp.readline()          # {"result": {"created": true …}}
    return c, resp


samples = []
for i in range(ROUNDS):
    t0 = time.monotonic()
    c, resp = open_watch("/bench/w%d/" % i)
    samples.append(ms_since(t0))
    c.close()
report("new watch until created", samples)

wc, stream = open_watch("/bench/deliver/")
samples, after = [], []
for i in range(ROUNDS * 2):
    t0 = time.monotonic()
    put(conn, "/bench/deliver/%d" % i)
    t1 = time.monotonic()
    stream.readline()
    samples.append(ms_since(t0))
    after.append(ms_since(t1))
report("put sent → event on another watch", samples)
report("  of which after the put returned", after)
post(conn, "/v3/kv/deleterange", {"key": b64("/bench/"), "range_end": b64("/bench0")})
