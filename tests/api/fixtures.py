"""Shared fixtures for the black-box suites: workspaces with a signed-in owner, members of
any role, and reading mail from the outbox folder (when no SMTP sink is configured)."""
import glob
import os
import re
import time
import uuid

PASSWORD = "Tr1cky-Horse-Battery-42"


def outbox_mails(server, to=None):
    """Mails written to the outbox folder, oldest first: list of (path, text)."""
    out = []
    for f in sorted(glob.glob(os.path.join(server.var, "outbox", "*.eml"))):
        with open(f, encoding="utf-8") as fh:
            t = fh.read()
        if to is None or ("To: <%s>" % to) in t:
            out.append((f, t))
    return out


def wait_token(server, to, page, timeout=15, after=0):
    """The token of the newest PAGE link (confirm, reset, invite...) mailed to `to`,
    among mails beyond the first `after` ones."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        mails = outbox_mails(server, to)[after:]
        for _, text in reversed(mails):
            m = re.search(r"/%s#token=([A-Za-z0-9_-]+)" % page, text)
            if m:
                return m.group(1)
        time.sleep(0.1)
    raise AssertionError("no %s mail reached %s" % (page, to))


class Workspace:
    def __init__(self, server, slug, email, token, login):
        self.server = server
        self.slug = slug
        self.email = email
        self.token = token
        self.login = login          # the tokens body
        self.id = login["workspace"]["id"]
        self.user_id = login["user"]["id"]

    def api(self, method, path, body=None, **kw):
        kw.setdefault("token", self.token)
        return self.server.api(method, path, body, **kw)


def login(server, slug, email, password=PASSWORD):
    r = server.api("POST", "/auth/login", {"workspace": slug, "email": email, "password": password})
    assert r.status == 200, r
    return r.json


def new_workspace(server, slug=None, email=None, password=PASSWORD, kind=None):
    """Signs up (planning kind, when given: field or trips), confirms through the mailed link,
    signs in as the owner."""
    slug = slug or "ws-" + uuid.uuid4().hex[:10]
    email = email or "owner-%s@example.com" % uuid.uuid4().hex[:8]
    body = {"workspace_name": slug.title(), "workspace_slug": slug, "name": "Owner " + slug, "email": email,
            "password": password}
    if kind:
        body["kind"] = kind
    r = server.api("POST", "/auth/signup", body)
    assert r.status == 202, r
    token = wait_token(server, email, "confirm")
    r = server.api("POST", "/auth/confirm", {"token": token})
    assert r.status == 200, r
    body = login(server, slug, email, password)
    return Workspace(server, slug, email, body["access_token"], body)


def add_member(server, ws, role, email=None, password=PASSWORD):
    """A confirmed user with `role` in ws, made directly in the database as the schema
    owner (membership management has its own suite); returns a Workspace view signed in
    as that member."""
    email = email or "%s-%s@example.com" % (role, uuid.uuid4().hex[:8])
    other = new_workspace(server, email=email, password=password)
    server.psql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', '%s')"
                % (ws.id, other.user_id, role), user="planyard_owner")
    body = login(server, ws.slug, email, password)
    return Workspace(server, ws.slug, email, body["access_token"], body)
