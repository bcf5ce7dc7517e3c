"""Operating data for the isolation suites: the operating-data routes read from src/routes.c,
a workspace filled with several records of every collection through the API, and whole
snapshots of what a token can see."""
import base64
import datetime
import json
import os
import re
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTES_C = os.path.join(ROOT, "src", "routes.c")

# Every date of the fixtures lies in [FROM, TO] (at most 92 days, as the API allows).
FROM, TO = "2031-05-01", "2031-07-31"
RANGE = "from=%s&to=%s" % (FROM, TO)

# The collections in the order their records can be made (a record only points backwards).
COLLECTIONS = ["regions", "customers", "projects", "employees", "crews", "pours", "assignments", "trips", "travelers",
               "reminders"]

# Query a list of each collection needs (the pours list requires a date range).
LIST_QUERY = {"pours": RANGE}


def day(n):
    """The fixtures' n-th day (0 .. 80 stays inside FROM..TO)."""
    return (datetime.date(2031, 5, 5) + datetime.timedelta(days=n)).isoformat()


# ---------------------------------------------------------------------------------------------
# The route table.

_ENTRY = re.compile(
    r'\{\s*"(GET|POST|PUT|PATCH|DELETE)",\s*V1\s+(?:path(?:\s+"([^"]*)")?|"([^"]*)"),\s*(\w+),\s*(\w+),\s*(\w+),'
    r'.*?"(\d{3})",\s*(&\w+|NULL|&res)\s*\}', re.S)


class Route:
    def __init__(self, method, path, handler, auth, role, status):
        self.method = method
        self.path = path                  # "/crews/{id}/members", under /api/v1
        self.handler = handler
        self.auth = auth
        self.role = role                  # ROLE_VIEWER, ROLE_SCHEDULER, ...
        self.status = int(status)         # what success answers

    @property
    def collection(self):
        return self.path.split("/")[1]

    @property
    def has_id(self):
        return "{id}" in self.path

    @property
    def writes(self):
        return self.method != "GET"

    def url(self, id_=None):
        return self.path.replace("{id}", id_) if id_ is not None else self.path

    @property
    def name(self):
        """A name fit for a test method: PATCH /crews/{id}/members -> patch_crews_id_members."""
        return re.sub(r"[^a-z0-9]+", "_", (self.method + self.path).lower()).strip("_")

    def __repr__(self):
        return "%s %s" % (self.method, self.path)


def operating_routes():
    """Every operating-data route of src/routes.c (the part of the table under the comment
    "operating data"): the five of each COLLECTION(...) and the routes written out one by one."""
    with open(ROUTES_C, encoding="utf-8") as f:
        src = f.read()
    macro = re.search(r"#define COLLECTION\(path, res, body, what\)(.*?)\n#define", src, re.S)
    assert macro, "COLLECTION macro not found in src/routes.c"
    template = []
    for m in _ENTRY.finditer(macro.group(1)):
        method, suffix, _, handler, auth, role, status, _ = m.groups()
        template.append((method, suffix or "", handler, auth, role, status))
    assert len(template) == 5, "the COLLECTION macro should expand to five routes: %r" % template
    table = src[src.index("const route_t routes[]"):]
    start = table.index("/* operating data */")
    end = table.find("/*", start + 2)
    table = table[start:end if end > 0 else table.index("};", start)]
    out = []
    for line in table.splitlines():
        c = re.match(r'\s*COLLECTION\("(/[^"]+)"', line)
        if c:
            for method, suffix, handler, auth, role, status in template:
                out.append(Route(method, c.group(1) + suffix, handler, auth, role, status))
            continue
        for m in _ENTRY.finditer(line):
            method, _, path, handler, auth, role, status, _ = m.groups()
            if auth == "AUTH_SESSION":
                out.append(Route(method, path, handler, auth, role, status))
    return out


_TABLE_ENTRY = re.compile(
    r'\{\s*"(GET|POST|PUT|PATCH|DELETE)",\s*V1\s+(?:path(?:\s+"([^"]*)")?|"([^"]*)"),\s*(\w+),\s*(\w+),\s*(\w+),'
    r'\s*(\w+),\s*([^,]*),.*?"(\d{3})",\s*(&\w+|NULL|&res)\s*\}', re.S)


def all_routes():
    """Every route of src/routes.c's table under /api/v1 (COLLECTION(...) expanded wherever it
    stands), each with route.flags: the names in its flags (TX, W, ROUTE_CREW, ...)."""
    with open(ROUTES_C, encoding="utf-8") as f:
        src = f.read()
    macro = re.search(r"#define COLLECTION\(path, res, body, what\)(.*?)\n#define", src, re.S).group(1)
    template = [m.groups() for m in _TABLE_ENTRY.finditer(macro)]
    assert len(template) == 5, "the COLLECTION macro should expand to five routes: %r" % template
    table = src[src.index("const route_t routes[]"):]
    table = table[:table.index("\n};")]
    out = []
    for line in table.splitlines():
        c = re.match(r'\s*COLLECTION\("(/[^"]+)"', line)
        if c:
            found = [(g[0], c.group(1) + (g[1] or "")) + g[3:] for g in template]
        else:
            found = [(g[0], g[2]) + g[3:] for g in (m.groups() for m in _TABLE_ENTRY.finditer(line))]
        for method, path, handler, auth, role, _body, flags, status, _res in found:
            rt = Route(method, path, handler, auth, role, status)
            rt.flags = set(re.findall(r"\w+", flags))
            out.append(rt)
    return out


def session_routes():
    """Every signed-in (AUTH_SESSION) route of the whole table, whatever its section or shape."""
    return [r for r in all_routes() if r.auth == "AUTH_SESSION"]


def crew_routes():
    """The routes read with a crew link instead of a session (flag ROUTE_CREW)."""
    return [r for r in all_routes() if "ROUTE_CREW" in r.flags]


# ---------------------------------------------------------------------------------------------
# Tokens.

def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def session_key(token):
    """The session secret (claim sk) an access token carries."""
    return claims(token)["sk"]


# ---------------------------------------------------------------------------------------------
# A workspace full of data.

def _ok(r, status, what):
    assert r.status == status, "%s: %r" % (what, r)
    return r.json if r.body else None


def populate(ws, tag, size_base):
    """Several records of every collection in ws (a fixtures.Workspace), all reachable from
    each other, every name carrying tag. Crews get members; pours need crew sizes from
    size_base up (so another workspace's numbers stand out in the manpower projection).
    Returns {collection: [record, ...]} with the records as created (crews with members)."""
    d = {c: [] for c in COLLECTIONS}

    def post(coll, body):
        rec = _ok(ws.api("POST", "/" + coll, body), 201, "create %s" % coll)
        d[coll].append(rec)
        return rec

    for i, n in enumerate(["north", "south", "east"]):
        post("regions", {"name": "%s %s" % (tag, n)})
    for i in range(3):
        post("customers", {"name": "%s customer %d" % (tag, i), "contact_name": "Contact %d" % i,
                           "email": "c%d@%s.example.com" % (i, tag), "phone": "+1555000%04d" % i, "notes": tag})
    for i in range(4):
        post("projects", {"customer_id": d["customers"][i % 3]["id"], "name": "%s project %d" % (tag, i),
                          "address": "%d Main St" % i, "zip": "9021%d" % i,
                          "region_id": d["regions"][i % 3]["id"], "notes": tag})
    trades = ["placer", "finisher", "pump_operator", "driver", "foreman", "laborer"]
    for i in range(6):
        post("employees", {"name": "%s employee %d" % (tag, i), "trade": trades[i], "phone": "+1555100%04d" % i,
                           "email": "e%d@%s.example.com" % (i, tag), "region_id": d["regions"][i % 3]["id"]})
    emp = [e["id"] for e in d["employees"]]
    for i in range(2):
        post("crews", {"name": "%s crew %d" % (tag, i), "region_id": d["regions"][i]["id"], "foreman_id": emp[4 + i]})
    for i, members in enumerate([[emp[0], emp[2], emp[4]], [emp[1], emp[3], emp[5]]]):
        crew = d["crews"][i]
        d["crews"][i] = _ok(ws.api("PUT", "/crews/%s/members" % crew["id"], {"employee_ids": members}), 200,
                            "crew members")
    for i in range(4):
        post("pours", {"project_id": d["projects"][i]["id"], "scheduled_date": day(i), "start_time": "07:30",
                       "volume_cy": "%d.50" % (10 + i), "mix": "%s 4000 psi" % tag, "pump": i % 2 == 0,
                       "crew_id": d["crews"][i % 2]["id"], "crew_size_needed": size_base + i, "notes": tag})
    for i in range(4):
        post("assignments", {"employee_id": emp[i], "date": day(i), "pour_id": d["pours"][i]["id"],
                             "role": "%s role" % tag})
    for i in range(3):
        post("trips", {"customer_id": d["customers"][i]["id"], "name": "%s trip %d" % (tag, i), "start_date": day(10 * i),
                       "end_date": day(10 * i + 5), "destination": "%s destination" % tag, "notes": tag})
    for i in range(3):
        post("travelers", {"trip_id": d["trips"][i % 2]["id"], "name": "%s traveler %d" % (tag, i),
                           "birth_date": "1990-01-0%d" % (i + 1), "contact": "t%d@%s.example.com" % (i, tag)})
    rec = _ok(ws.api("POST", "/trips/%s/travelers" % d["trips"][2]["id"], {"name": "%s traveler 3" % tag}), 201,
              "create a trip's traveler")
    d["travelers"].append(rec)
    subjects = [("customer", "customers"), ("project", "projects"), ("pour", "pours"), ("trip", "trips")]
    for i, (stype, coll) in enumerate(subjects):
        post("reminders", {"remind_at": day(i) + "T06:00:00Z", "channel": "email" if i % 2 == 0 else "sms",
                           "to": "r%d@%s.example.com" % (i, tag) if i % 2 == 0 else "+1555200000%d" % i,
                           "message": "%s reminder %d" % (tag, i), "subject_type": stype,
                           "subject_id": d[coll][i % len(d[coll])]["id"]})
    return d


def ids(data, coll=None):
    """The ids of one collection, or of all of them, of populate()'s result."""
    colls = [coll] if coll else COLLECTIONS
    return {r["id"] for c in colls for r in data[c]}


def list_all(ws, coll, query=None, token=None):
    """Every record of a list, following next_cursor; asserts each page is a 200."""
    q = query if query is not None else LIST_QUERY.get(coll, "")
    out = []
    cursor = None
    for _ in range(100):
        url = "/%s?limit=200" % coll + ("&" + q if q else "") + ("&cursor=" + cursor if cursor else "")
        r = ws.api("GET", url, token=token or ws.token)
        assert r.status == 200, "list %s: %r" % (url, r)
        out.extend(r.json["data"])
        cursor = r.json["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("list %s does not end" % coll)


def snapshot(ws, token=None):
    """Everything token (by default ws's own) can see: every collection and the manpower
    projection over the fixtures' dates, records sorted by id."""
    snap = {c: sorted(list_all(ws, c, token=token), key=lambda r: r["id"]) for c in COLLECTIONS}
    r = ws.api("GET", "/manpower?" + RANGE, token=token or ws.token)
    assert r.status == 200, r
    snap["manpower"] = r.json["data"]
    return snap


def random_id():
    return str(uuid.uuid4())
