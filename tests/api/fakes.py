"""Small local stand-ins for the outside services Planyard calls, speaking their real wire
formats: an SMS API with Twilio's Messages form, and an Open-Meteo-compatible forecast API
(geocoding search and daily forecast). Each records the requests it received."""
import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    def __init__(self, handler):
        self.requests = []
        self.fail_numbers = set()
        self.delay = 0.0
        self.down = False
        outer = self

        class H(handler):
            server_ref = outer

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Twilio(BaseHTTPRequestHandler):
    def do_POST(self):
        s = self.server_ref
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        auth = self.headers.get("Authorization", "")
        rec = {"path": self.path, "form": {k: v[0] for k, v in form.items()},
               "auth": base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None,
               "content_type": self.headers.get("Content-Type"),
               "key": self.headers.get("Idempotency-Key")}
        s.requests.append(rec)
        if s.delay:   # taken, but the answer is slow to come
            time.sleep(s.delay)
        if rec["form"].get("To") in s.fail_numbers:
            body = json.dumps({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}).encode()
            self.send_response(400)
        else:
            body = json.dumps({"sid": "SM%032x" % len(s.requests), "status": "queued",
                               "to": rec["form"].get("To"), "from": rec["form"].get("From"),
                               "body": rec["form"].get("Body")}).encode()
            self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the caller is gone (killed mid-request)


class Twilio(_Server):
    """POST /2010-04-01/Accounts/<SID>/Messages.json with To, From, Body (form), Basic auth."""
    SID = "ACtest0000000000000000000000000000"

    def __init__(self):
        super().__init__(_Twilio)

    @property
    def url(self):
        return "http://127.0.0.1:%d/2010-04-01/Accounts/%s/Messages.json" % (self.port, self.SID)


class _Meteo(BaseHTTPRequestHandler):
    def do_GET(self):
        s = self.server_ref
        u = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        s.requests.append({"path": u.path, "query": q})
        if s.delay:
            time.sleep(s.delay)
        if s.down:
            self.send_response(502)
            self.end_headers()
            return
        if u.path == "/v1/search":
            body = {"results": [{"id": 1, "name": q.get("name"), "latitude": 41.8781, "longitude": -87.6298,
                                 "country_code": "US", "postcodes": [q.get("name")]}], "generationtime_ms": 0.5}
        elif u.path == "/v1/forecast":
            d = q.get("start_date")
            body = {"latitude": float(q["latitude"]), "longitude": float(q["longitude"]), "timezone": "America/Chicago",
                    "daily_units": {"time": "iso8601", "temperature_2m_max": "°C"},
                    "daily": {"time": [d], "temperature_2m_max": [12.3], "temperature_2m_min": [4.1],
                              "precipitation_sum": [0.4], "precipitation_probability_max": [35],
                              "wind_speed_10m_max": [18.2]}}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OpenMeteo(_Server):
    def __init__(self):
        super().__init__(_Meteo)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port


def stripe_signature(secret, payload, t=None, extra_v1=()):
    """The Stripe-Signature header for payload (bytes), as Stripe computes it."""
    import hashlib
    import hmac
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), ("%d." % t).encode() + payload, hashlib.sha256).hexdigest()
    return ",".join(["t=%d" % t] + ["v1=%s" % v for v in extra_v1] + ["v1=" + sig])
