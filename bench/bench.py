#!/usr/bin/env python3
"""Helpers of bench/run.sh (standard library only). Subcommands:

  freeport                                  a free loopback TCP port
  wait-ready PORT SECONDS [PID]             polls https://127.0.0.1:PORT/healthz while PID lives
  account DATA_DIR PORT OUT.json            signs up, confirms through the outbox, signs in
  tokens DATA_DIR PG_DIR OUT FIRST LAST     access JWTs of the bench sessions FIRST..LAST, and in
                                            OUT.ids the ids of a record of each kind, line by line
  weeks OUT_DIR SCRIPT                      SCRIPT once per loaded week, the filter a parameter
  rate PORT TOKEN RPS SECONDS CONNS OUT     GET /api/v1/me at a fixed rate (open loop)
  cpu PLANYARD_PID PG_DIR SCRIPT_PID        CPU ticks of planyard, the cluster, the load generators, the machine
  idle PID [SECONDS]                        waits until PID is idle (the work pool drained)
  quiet MAX_WAIT THRESHOLD                  waits for a low load average; prints it
  pgbench-pct LOG_PREFIX STDOUT OUT         tps and percentiles of a pgbench run
  put RESULTS KEY VALUE_JSON                stores one figure set in RESULTS (a JSON object)
  report RESULTS README [SERVER_LOG]        prints the table and writes README
"""
import base64
import datetime
import glob
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

PASSWORD = "Tr1cky-Horse-Battery-42"


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def conn(port, timeout=60):
    return http.client.HTTPSConnection("127.0.0.1", port, context=tls(), timeout=timeout)


def call(port, method, path, body=None, token=None, c=None):
    h = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = "Bearer " + token
    own = c is None
    c = c or conn(port)
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        return r.status, payload
    finally:
        if own:
            c.close()


def cmd_freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def cmd_wait_ready(port, seconds, pid=None):
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        if pid and not os.path.exists("/proc/%s" % pid):
            return 1
        try:
            if call(int(port), "GET", "/healthz")[0] == 200:
                return 0
        except (OSError, ssl.SSLError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    return 1


def cmd_account(data_dir, port, out):
    port = int(port)
    slug = "bench-login"
    email = "bench-login@example.com"
    st, body = call(port, "POST", "/api/v1/auth/signup", {
        "workspace_name": "Bench login", "workspace_slug": slug, "name": "Bench login",
        "email": email, "password": PASSWORD})
    if st != 202:
        sys.exit("signup: %d %s" % (st, body[:300]))
    token = None
    deadline = time.time() + 30
    while time.time() < deadline and not token:
        for f in sorted(glob.glob(os.path.join(data_dir, "outbox", "*.eml"))):
            text = open(f, encoding="utf-8").read()
            if ("To: <%s>" % email) in text:
                m = re.search(r"/confirm#token=([A-Za-z0-9_-]+)", text)
                if m:
                    token = m.group(1)
        time.sleep(0.1)
    if not token:
        sys.exit("no confirm mail in %s/outbox" % data_dir)
    st, body = call(port, "POST", "/api/v1/auth/confirm", {"token": token})
    if st != 200:
        sys.exit("confirm: %d %s" % (st, body[:300]))
    login = {"workspace": slug, "email": email, "password": PASSWORD}
    st, body = call(port, "POST", "/api/v1/auth/login", login)
    if st != 200:
        sys.exit("login: %d %s" % (st, body[:300]))
    access = json.loads(body)["access_token"]
    st, body = call(port, "GET", "/api/v1/me", token=access)
    if st != 200:
        sys.exit("me: %d %s" % (st, body[:300]))
    json.dump({"login_body": json.dumps(login), "access_token": access}, open(out, "w"))
    return 0


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cmd_tokens(data_dir, pg_dir, out, first, last):
    secret = open(os.path.join(data_dir, "secrets", "jwt_secret")).read().strip().encode()
    # with each session, one record of each kind of its workspace (for the gets and the writes)
    kinds = ["customers", "projects", "employees", "crews", "pours", "assignments"]
    sql = ("select substr(t.slug, 7), s.tenant_id, s.id, s.user_id, %s from app.sessions s "
           "join app.tenants t on t.id = s.tenant_id "
           "where s.user_agent = 'bench'" % ", ".join(
               "(select x.id from app.%s x where x.tenant_id = s.tenant_id order by x.id limit 1)" % k
               for k in kinds))
    # as the superuser: the schema owner sees no workspace's operating data outside a definer
    rows = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", ",", "-v", "ON_ERROR_STOP=1", "-h", pg_dir,
                           "-U", "postgres", "-d", "planyard", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.split()
    now = int(time.time())
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    n_out = 0
    with open(out, "w") as f, open(out + ".ids", "w") as g:
        for row in sorted(rows, key=lambda r: int(r.split(",")[0])):
            n, tid, sid, uid = row.split(",")[:4]
            if not int(first) <= int(n) <= int(last):
                continue
            n_out += 1
            claims = {"typ": "access", "sub": uid, "tid": tid, "sid": sid, "role": "owner", "aal": "aal1",
                      "iat": now, "exp": now + 3600, "sk": "benchkey-" + n}
            signing = header + "." + b64url(json.dumps(claims, separators=(",", ":")).encode())
            sig = b64url(hmac.new(secret, signing.encode(), hashlib.sha256).digest())
            f.write(signing + "." + sig + "\n")
            g.write(" ".join(row.split(",")[4:]) + "\n")
    print(n_out)
    return 0


def cmd_weeks(out_dir, script):
    """SCRIPT (a file of bench/ that names the week's filter :f) once per loaded week, each
    naming its own variable :fNN; prints the pgbench arguments that run them, one a line. The
    filter is then bound as the server binds it, a jsonb parameter: an expression in its place
    would be evaluated again at each use in the inlined page function."""
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), script)).read()
    os.makedirs(out_dir, exist_ok=True)
    base = datetime.date(2025, 1, 6)
    args = []
    for w in range(52):
        a, b = base + datetime.timedelta(days=7 * w), base + datetime.timedelta(days=7 * w + 6)
        name = os.path.join(out_dir, "%s.w%02d" % (script, w))
        with open(name, "w") as f:
            f.write(src.replace(":f::jsonb", ":f%02d::jsonb" % w))
        args += ["-f", name + "@1", "-D", 'f%02d={"from":"%s","to":"%s"}' % (w, a, b)]
    print("\n".join(args))
    return 0


def pct(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def cmd_rate(port, token, rps, seconds, conns, out):
    """Open loop: connection k sends its i-th request at t0 + (k + i*conns)/rps; a latency is
    counted from that intended time (a stalled server is not hidden by a waiting client)."""
    port, rps, seconds, conns = int(port), float(rps), float(seconds), int(conns)
    lat, service, bad = [], [], []
    lock = threading.Lock()
    t0 = time.monotonic() + 0.5

    def run(k):
        c = conn(port, timeout=30)
        c.connect()
        i = 0
        while True:
            due = t0 + (k + i * conns) / rps
            if due > t0 + seconds:
                break
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent = time.monotonic()
            try:
                st, _ = call(port, "GET", "/api/v1/me", token=token, c=c)
            except (OSError, http.client.HTTPException):
                st = 0
                c.close()
                c = conn(port, timeout=30)
            end = time.monotonic()
            with lock:
                lat.append(end - due)
                service.append(end - sent)
                if st != 200:
                    bad.append(st)
            i += 1
        c.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    service.sort()
    res = {"requests": len(lat), "rate": rps, "conns": conns, "errors": len(bad),
           "p50_us": int(pct(lat, 50) * 1e6), "p90_us": int(pct(lat, 90) * 1e6), "p99_us": int(pct(lat, 99) * 1e6),
           "max_us": int(lat[-1] * 1e6) if lat else 0,
           "service_p50_us": int(pct(service, 50) * 1e6), "service_p99_us": int(pct(service, 99) * 1e6)}
    json.dump(res, open(out, "w"))
    return 0


def ticks_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    # fields from 3 on: state ppid ... utime(14) stime(15) cutime(16) cstime(17)
    return {"ppid": int(rest[1]), "u": int(rest[11]), "s": int(rest[12]), "cu": int(rest[13]), "cs": int(rest[14])}


def cmd_cpu(planyard_pid, pg_dir, script_pid):
    """One snapshot, in clock ticks: planyard; the cluster (the postmaster, its live children,
    and the children it has reaped); the load generators (what this script has reaped: wrk,
    pgbench, the Python client); the whole machine."""
    with open(os.path.join(pg_dir, "postmaster.pid")) as f:
        pm = int(f.readline())
    pg = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        t = ticks_of(int(d))
        if t and (int(d) == pm or t["ppid"] == pm):
            pg += t["u"] + t["s"] + (t["cu"] + t["cs"] if int(d) == pm else 0)
    py = ticks_of(int(planyard_pid))
    gen = ticks_of(int(script_pid))
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    print(json.dumps({"t": time.time(), "hz": os.sysconf("SC_CLK_TCK"), "planyard": py["u"] + py["s"],
                      "postgres": pg, "gen": gen["cu"] + gen["cs"], "busy": sum(cpu[:8]) - idle,
                      "total": sum(cpu[:8])}))
    return 0


def cmd_idle(pid, seconds=60):
    """Waits (at most SECONDS) until PID has used under 5% of a core for one second: the work
    pool may still be hashing passwords of clients that have gone."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.time() + float(seconds)
    last = ticks_of(int(pid))
    while time.time() < deadline:
        time.sleep(1)
        now = ticks_of(int(pid))
        if now is None:
            return 1
        used = (now["u"] + now["s"] - last["u"] - last["s"]) / hz
        last = now
        if used < 0.05:
            return 0
    return 0


def cmd_quiet(max_wait, threshold):
    """Waits (at most MAX_WAIT seconds) for the 1-minute load average to fall under THRESHOLD;
    prints the load average it starts with."""
    deadline = time.time() + float(max_wait)
    while True:
        load = float(open("/proc/loadavg").read().split()[0])
        if load < float(threshold) or time.time() >= deadline:
            print(" ".join(open("/proc/loadavg").read().split()[:3]))
            return 0
        time.sleep(5)


def cmd_pgbench_pct(prefix, stdout_file, out):
    lat = []
    for f in glob.glob(prefix + "*"):
        with open(f) as fh:
            for line in fh:
                p = line.split()
                if len(p) >= 3:
                    lat.append(int(p[2]))
    lat.sort()
    text = open(stdout_file).read()
    m = re.search(r"^tps = ([0-9.]+)", text, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    json.dump({"n": len(lat), "tps": float(m.group(1)) if m else 0.0,
               "failed": int(failed.group(1)) if failed else 0,
               "p50_us": pct(lat, 50), "p90_us": pct(lat, 90), "p99_us": pct(lat, 99),
               "max_us": lat[-1] if lat else 0}, open(out, "w"))
    return 0


def cmd_put(results, key, value):
    d = json.load(open(results)) if os.path.exists(results) else {}
    d[key] = json.loads(value)
    tmp = results + ".tmp"
    json.dump(d, open(tmp, "w"), indent=1, sort_keys=True)
    os.replace(tmp, results)
    return 0


# ---- the report ----

def ms(us):
    return "%.1f ms" % (us / 1000.0) if us >= 10000 else "%.2f ms" % (us / 1000.0)


def rps(w):
    return w["requests"] / (w["duration_us"] / 1e6)


def cpu_note(d, n):
    """CPU per request of planyard, PostgreSQL and the load generator, and the share of the
    machine other processes took, from two cpu snapshots around a run of n requests."""
    if not d or not n:
        return ""
    a, b = d["before"], d["after"]
    hz = a["hz"]
    us = lambda k: (b[k] - a[k]) / hz * 1e6 / n
    total = max(1, b["total"] - a["total"])
    busy = (b["busy"] - a["busy"]) / total * 100
    ours = sum(b[k] - a[k] for k in ("planyard", "postgres", "gen")) * 100.0 / total
    return ("CPU per request: planyard %s, PostgreSQL %s, load generator %s; machine %.0f%% busy, "
            "%.0f%% of it other processes" % (dur(us("planyard")), dur(us("postgres")), dur(us("gen")), busy,
                                             max(0.0, busy - ours)))


def dur(us):
    return "%.0f µs" % us if us < 10000 else "%.1f ms" % (us / 1000.0)


def server_side(log_path, route, d):
    """p50/p99 of the server's own duration_ms for ROUTE in the window of the cpu snapshots d."""
    if not d or not log_path or not os.path.exists(log_path):
        return ""
    t0, t1 = d["before"]["t"], d["after"]["t"]
    ds = []
    with open(log_path, errors="replace") as f:
        for line in f:
            if not line.startswith("{") or '"access"' not in line or route not in line:
                continue
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("route") != route:
                continue
            at = datetime.datetime.strptime(j["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            if t0 <= at <= t1:
                ds.append(j["duration_ms"] * 1000)
    if not ds:
        return ""
    ds.sort()
    return "in the server (access log): p50 %s, p99 %s" % (ms(pct(ds, 50)), ms(pct(ds, 99)))


def cmd_report(results, readme, server_log=None):
    R = json.load(open(results))
    m = R.get("meta", {})
    rows = []

    def row(what, thr, p50, p99, note=""):
        rows.append((what, thr, p50, p99, note))

    def wrk_row(key, what, note="", route=None):
        w = R.get(key)
        if not w:
            return
        errs = w["err_status"] + w["err_timeout"] + w["err_connect"] + w["err_read"] + w["err_write"]
        extra = [note] if note else []
        if errs:
            extra.append("%d errors (status %d, timeout %d)" % (errs, w["err_status"], w["err_timeout"]))
        if route:
            sv = server_side(server_log, route, R.get(key + ".cpu"))
            if sv:
                extra.append(sv)
        c = cpu_note(R.get(key + ".cpu"), w["requests"])
        if c:
            extra.append(c)
        row(what, "%.1f req/s" % rps(w), ms(w["p50_us"]), ms(w["p99_us"]), "; ".join(extra))

    def rate_row(key, what, note="", cpu=True):
        r = R.get(key)
        if not r:
            return
        extra = ["%g req/s offered on %d connections, %d requests, max %s; latency from the intended send time "
                 "(from the actual send: p50 %s, p99 %s)"
                 % (r["rate"], r["conns"], r["requests"], ms(r["max_us"]), ms(r["service_p50_us"]),
                    ms(r["service_p99_us"]))]
        if r["errors"]:
            extra.append("%d errors" % r["errors"])
        if note:
            extra.append(note)
        sv = server_side(server_log, "/api/v1/me", R.get(key + ".cpu"))
        if sv:
            extra.append(sv)
        c = cpu_note(R.get(key + ".cpu"), r["requests"]) if cpu else ""
        if c:
            extra.append(c)
        row(what, "%g req/s (fixed)" % r["rate"], ms(r["p50_us"]), ms(r["p99_us"]), "; ".join(extra))

    def pgb_row(key, what):
        p = R.get(key)
        if not p:
            return
        extra = ["%d transactions" % p["n"]]
        c = cpu_note(R.get(key + ".cpu"), p["n"])
        if c:
            extra.append(c)
        row(what, "%.1f tx/s" % p["tps"], ms(p["p50_us"]), ms(p["p99_us"]), "; ".join(extra))

    wrk_row("login_c1", "POST /auth/login, 1 connection (bcrypt cost 12 + session)", route="/api/v1/auth/login")
    wrk_row("login_c32", "POST /auth/login, 32 connections", route="/api/v1/auth/login")
    rate_row("me_idle", "GET /me at a fixed rate, no other load")
    rate_row("me_login", "GET /me at a fixed rate, while %d connections POST /auth/login"
             % R.get("meta_flood", {}).get("connections", 32), cpu=False)
    wrk_row("login_bg", "  (the login load during that run)")
    n1 = m.get("workspaces_1", 1000)
    n2 = m.get("workspaces_2", 10000)
    wrk_row("pours_1k_c16", "GET /pours (7-day window), %d workspaces, 16 connections" % n1, route="/api/v1/pours")
    wrk_row("pours_1k_c16_2", "  the same, again", route="/api/v1/pours")
    pgb_row("pgb_1k_c16", "ceiling: pgbench, same SQL pipelined, %d workspaces, -c 16" % n1)
    wrk_row("pours_1k_c64", "GET /pours (7-day window), %d workspaces, 64 connections" % n1, route="/api/v1/pours")
    pgb_row("pgb_1k_c64", "ceiling: pgbench, same SQL pipelined, %d workspaces, -c 64" % n1)
    if "pgb_1k_c4" in R and "pgb_1k_workers" not in R:
        R["pgb_1k_workers"], R["pgb_1k_workers.cpu"] = R["pgb_1k_c4"], R.get("pgb_1k_c4.cpu")
    pgb_row("pgb_1k_workers", "pgbench, same SQL pipelined, %d workspaces, -c %d (as many as the server's connections)"
            % (n1, m.get("workers", 4)))
    pgb_row("pgb4_1k_c16", "pgbench, same SQL in BEGIN/COMMIT (4 round trips), %d workspaces, -c 16" % n1)
    pgb_row("ref_1k_workers", "reference: the same page, transaction-local tenant setting and policy, one round trip, "
            "%d workspaces, -c %d" % (n1, m.get("workers", 4)))
    reads = [("customers", "GET /customers"), ("projects", "GET /projects"), ("employees", "GET /employees"),
             ("crews", "GET /crews"), ("assignments", "GET /assignments (7-day window)"),
             ("manpower", "GET /manpower (7-day window)"), ("me", "GET /me"),
             ("customer", "GET /customers/{id}"), ("project", "GET /projects/{id}"),
             ("employee", "GET /employees/{id}"), ("crew", "GET /crews/{id}"), ("pour", "GET /pours/{id}"),
             ("assignment", "GET /assignments/{id}")]
    for k, what in reads:
        wrk_row("read_" + k, "%s, %d workspaces, 16 connections" % (what, n1))
    for w, what in (("post", "POST /pours"), ("patch", "PATCH /pours/{id} (notes)")):
        wrk_row("write_%s_many" % w, "%s, 16 connections, %d workspaces" % (what, n1))
        wrk_row("write_%s_one" % w, "%s, 16 connections, all in one workspace" % what)
    wrk_row("pours_10k_c16", "GET /pours (7-day window), %d workspaces, 16 connections" % n2, route="/api/v1/pours")
    wrk_row("pours_10k_c16_2", "  the same, again", route="/api/v1/pours")
    pgb_row("pgb_10k_c16", "ceiling: pgbench, same SQL pipelined, %d workspaces, -c 16" % n2)

    lines = []
    lines.append("| measurement | throughput | p50 | p99 | notes |")
    lines.append("|---|---|---|---|---|")
    for r in rows:
        lines.append("| %s | %s | %s | %s | %s |" % r)
    derived = []
    for c in ("16", "64"):
        w, p = R.get("pours_1k_c" + c), R.get("pgb_1k_c" + c)
        if w and p:
            derived.append("- server / ceiling at %s connections, %d workspaces: %.0f / %.0f = **%.2f**"
                           % (c, n1, rps(w), p["tps"], rps(w) / p["tps"]))
    w, p = R.get("pours_1k_c16"), R.get("pgb_1k_workers")
    if w and p:
        derived.append("- like for like, server at 16 connections / pgbench -c %d (the server's connections): "
                       "%.0f / %.0f = **%.2f**" % (m.get("workers", 4), rps(w), p["tps"], rps(w) / p["tps"]))
    w, p = R.get("pours_1k_c16"), R.get("ref_1k_workers")
    if w and p:
        derived.append("- server at 16 connections / reference (-c %d): %.0f / %.0f = **%.2f** (the aim: 0.6 or more)"
                       % (m.get("workers", 4), rps(w), p["tps"], rps(w) / p["tps"]))
    w, p = R.get("pours_10k_c16"), R.get("pgb_10k_c16")
    if w and p:
        derived.append("- server / ceiling at 16 connections, %d workspaces: %.0f / %.0f = **%.2f**"
                       % (n2, rps(w), p["tps"], rps(w) / p["tps"]))
    small = [R[k] for k in ("pours_1k_c16", "pours_1k_c16_2") if k in R]
    large = [R[k] for k in ("pours_10k_c16", "pours_10k_c16_2") if k in R]
    if small and large:
        a = sum(w["p50_us"] for w in small) / len(small)
        b = sum(w["p50_us"] for w in large) / len(large)
        change = (b / a - 1) * 100
        derived.append("- p50 at 16 connections, %d vs %d workspaces%s: %s vs %s (%+.0f%%): %s"
                       % (n2, n1, " (mean of the two runs of each)" if len(small) > 1 else "", ms(b), ms(a), change,
                          "**within 20%**" if change <= 20 else "**not within 20%**"))
        def pg_us(key):
            c, w = R.get(key + ".cpu"), R.get(key)
            return (c["after"]["postgres"] - c["before"]["postgres"]) / c["after"]["hz"] * 1e6 / w["requests"]
        if "pours_1k_c16.cpu" in R and "pours_10k_c16.cpu" in R:
            pa, pb = pg_us("pours_1k_c16"), pg_us("pours_10k_c16")
            derived.append("  (PostgreSQL CPU per request, which other load on the machine moves less: %s vs %s, %+.0f%%)"
                           % (dur(pb), dur(pa), (pb / pa - 1) * 100))
    def pg_per(key):
        c, w = R.get(key + ".cpu"), R.get(key)
        if not c or not w or not w["requests"]:
            return None
        return (c["after"]["postgres"] - c["before"]["postgres"]) / c["after"]["hz"] * 1e6 / w["requests"]
    base = [v for v in (pg_per("pours_1k_c16"), pg_per("pours_1k_c16_2")) if v]
    if base:
        b = sum(base) / len(base)
        parts = []
        for k, what in reads:
            v = pg_per("read_" + k)
            if v is not None:
                parts.append("%s %s (%.1f×)" % (what.split(" (")[0], dur(v), v / b))
        if parts:
            over = [p for p in parts if float(p.rsplit("(", 1)[1].rstrip("×)")) > 2]
            derived.append("- PostgreSQL CPU per request of each read against GET /pours' %s: %s; %s"
                           % (dur(b), ", ".join(parts), "**none above 2×**" if not over else
                              "**above 2×: %s**" % ", ".join(p.split(" ")[0] + " " + p.split(" ")[1] for p in over)))
    i, l = R.get("me_idle"), R.get("me_login")
    if i and l:
        derived.append("- GET /me p99 under login load vs idle: %s vs %s" % (ms(l["p99_us"]), ms(i["p99_us"])))
    mem = R.get("memory")
    if mem:
        derived.append("- planyard resident memory after the runs: VmRSS %s, VmHWM %s (%s threads; %d MHD workers)"
                       % (mem.get("VmRSS"), mem.get("VmHWM"), mem.get("Threads"), m.get("workers", 0)))
    l1, l2 = R.get("load1"), R.get("load2")
    if l1:
        derived.append("- loading workspaces 1..%d in SQL as planyard_owner (two psql sessions): %d s, then vacuum "
                       "analyze + checkpoint %d s; pours in one workspace-week: min / avg / max = %s"
                       % (n1, l1["seconds"], l1["settle_seconds"], l1["pours_per_week"].replace(" ", " / ")))
    if l2:
        derived.append("- loading workspaces %d..%d: %d s, then vacuum analyze + checkpoint %d s"
                       % (n1 + 1, n2, l2["seconds"], l2["settle_seconds"]))
    sz = R.get("sizes")
    if sz:
        derived.append("- at the end: database %s; %d sessions, %d pours, %d assignments"
                       % (sz["db"], sz["sessions"], sz["pours"], sz["assignments"]))
    table = "\n".join(lines)
    head = ("Command: `%s` · date: %s · machine: %s · load average before the run: %s"
            % (m.get("command", "make bench"), m.get("date", ""), m.get("machine", ""), m.get("loadavg", "")))
    if m.get("experiment"):
        head += " · **experiment applied: `%s`**" % m["experiment"]
    pgopts = "PostgreSQL options for the bench (PLANYARD_DEV_PG_OPTIONS): `%s`" % m.get("pg_options", "")
    print(head)
    print(pgopts)
    print()
    print(table)
    print()
    print("\n".join(derived))
    notes_path = os.path.join(os.path.dirname(readme), "notes.md")
    notes = open(notes_path).read() if os.path.exists(notes_path) else ""
    with open(readme, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write("`make bench` (bench/run.sh) measures the release build `build/planyard` started with "
                "`planyard dev --no-demo` on a private cluster under `build/bench/`, over HTTPS on loopback, "
                "with the default worker count and bcrypt cost 12. This file is written by the run; the "
                "notes below the figures are kept in `bench/notes.md`.\n\n")
        f.write(head + "  \n" + pgopts + "\n\n")
        f.write(table + "\n\n")
        f.write("\n".join(derived) + "\n\n")
        f.write(notes)
    return 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1].replace("-", "_"), argv[2:]
    fn = globals().get("cmd_" + cmd)
    if not fn:
        sys.exit(__doc__)
    return fn(*args) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
