"""Small local stand-ins for the outside services Planyard calls, speaking their real wire
formats: an SMS API with Twilio's Messages form, an Open-Meteo-compatible forecast API
(geocoding search and daily forecast), and the payment processor's API as Stripe speaks it.
Each records the requests it received."""
import base64
import json
import threading
import time
import urllib.parse
import uuid
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


class _Stripe(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_%s" % uuid.uuid4().hex[:14])
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _error(self, status, typ, message, code=None, param=None):
        err = {"type": typ, "message": message}
        if code:
            err["code"] = code
        if param:
            err["param"] = param
        self._reply(status, {"error": err})

    def _handle(self, method):
        s = self.server_ref
        u = urllib.parse.urlparse(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode() if n else ""
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
        query = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        rec = {"method": method, "path": u.path, "form": form, "query": query,
               "auth": self.headers.get("Authorization"), "content_type": self.headers.get("Content-Type")}
        s.requests.append(rec)
        if s.down:
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if rec["auth"] != "Bearer " + s.key:
            return self._error(401, "invalid_request_error", "Invalid API Key provided: sk_****")
        if method == "POST" and rec["content_type"] != "application/x-www-form-urlencoded":
            return self._error(400, "invalid_request_error", "Invalid request: form-encoded body expected")
        if method == "POST" and u.path == "/v1/checkout/sessions":
            return self._checkout(form)
        if method == "POST" and u.path == "/v1/billing_portal/sessions":
            if form.get("customer") not in s.customers:
                return self._error(400, "invalid_request_error", "No such customer: '%s'" % form.get("customer"),
                                   "resource_missing", "customer")
            sid = "bps_" + uuid.uuid4().hex[:24]
            return self._reply(200, {"id": sid, "object": "billing_portal.session", "customer": form["customer"],
                                     "livemode": False, "return_url": form.get("return_url"),
                                     "created": int(time.time()),
                                     "url": "https://billing.stripe.com/p/session/test_" + sid})
        if method == "GET" and u.path == "/v1/invoices":
            cus = query.get("customer")
            if cus not in s.customers:
                return self._error(400, "invalid_request_error", "No such customer: '%s'" % cus,
                                   "resource_missing", "customer")
            items = s.invoices.get(cus, [])
            after = query.get("starting_after")
            if after:
                ids = [i["id"] for i in items]
                items = items[ids.index(after) + 1:] if after in ids else []
            limit = int(query.get("limit", "10"))
            if not 1 <= limit <= 100:
                return self._error(400, "invalid_request_error", "Invalid integer: limit", param="limit")
            return self._reply(200, {"object": "list", "url": "/v1/invoices", "has_more": len(items) > limit,
                                     "data": items[:limit]})
        self._error(404, "invalid_request_error", "Unrecognized request URL (%s: %s)" % (method, u.path))

    def _checkout(self, form):
        s = self.server_ref
        if form.get("mode") != "subscription":
            return self._error(400, "invalid_request_error", "mode must be subscription here", param="mode")
        if form.get("line_items[0][price]") not in s.prices:
            return self._error(400, "invalid_request_error", "No such price: '%s'" % form.get("line_items[0][price]"),
                               "resource_missing", "line_items[0][price]")
        for k in ("success_url", "cancel_url"):
            if not form.get(k, "").startswith(("https://", "http://")):
                return self._error(400, "invalid_request_error", "Not a valid URL", "url_invalid", k)
        te = form.get("subscription_data[trial_end]")
        if te is not None and int(te) < time.time() + 48 * 3600:
            return self._error(400, "invalid_request_error", "trial_end must be at least 48 hours in the future",
                               param="subscription_data[trial_end]")
        sid = "cs_test_" + uuid.uuid4().hex
        sess = {"id": sid, "object": "checkout.session", "mode": "subscription", "status": "open",
                "client_reference_id": form.get("client_reference_id"), "customer": form.get("customer"),
                "customer_email": form.get("customer_email"), "subscription": None, "payment_status": "unpaid",
                "success_url": form.get("success_url"), "cancel_url": form.get("cancel_url"),
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                "url": "https://checkout.stripe.com/c/pay/" + sid, "livemode": False, "created": int(time.time())}
        s.sessions[sid] = (sess, form)
        self._reply(200, sess)

    def do_POST(self):
        self._handle("POST")

    def do_GET(self):
        self._handle("GET")


class Stripe(_Server):
    """The payment processor's API as Stripe speaks it: POST /v1/checkout/sessions,
    POST /v1/billing_portal/sessions (form-encoded, Bearer secret key), GET /v1/invoices; JSON
    objects and Stripe's error shape. complete() pays an open checkout session the way the
    payer would and returns the checkout.session.completed event Stripe then sends."""
    KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc" * 3

    def __init__(self, prices=("price_starter_m", "price_pro_m")):
        self.key = self.KEY
        self.prices = set(prices)
        self.sessions = {}
        self.customers = set()
        self.invoices = {}          # customer -> invoice objects, newest first
        self.payment_methods = {}   # customer -> their card's payment method
        super().__init__(_Stripe)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def complete(self, session_id):
        sess, form = self.sessions[session_id]
        cus = sess["customer"] or "cus_" + uuid.uuid4().hex[:14]
        self.customers.add(cus)
        sub = "sub_" + uuid.uuid4().hex[:14]
        done = dict(sess, status="complete", customer=cus, subscription=sub, payment_status="paid",
                    customer_details={"email": sess["customer_email"], "name": "Pat Payer",
                                      "address": {"country": "US", "postal_code": "60601"}}, url=None)
        subscription = {"id": sub, "object": "subscription", "customer": cus,
                        "status": "trialing" if form.get("subscription_data[trial_end]") else "active",
                        "metadata": {k[len("subscription_data[metadata]["):-1]: v for k, v in form.items()
                                     if k.startswith("subscription_data[metadata][")},
                        "trial_end": int(form["subscription_data[trial_end]"])
                        if form.get("subscription_data[trial_end]") else None,
                        "current_period_end": int(time.time()) + 30 * 86400,
                        "items": {"object": "list", "data": [{"price": {"id": form["line_items[0][price]"],
                                                                        "lookup_key": None}}]},
                        # as in Stripe's events: the payment method's id, not the object
                        "default_payment_method": "pm_" + uuid.uuid4().hex[:14]}
        self.payment_methods[cus] = {
            "id": subscription["default_payment_method"], "object": "payment_method", "type": "card", "customer": cus,
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030,
                     "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit", "country": "US",
                     "wallet": None},
            "billing_details": {"name": "Pat Payer", "email": sess["customer_email"],
                                "address": {"country": "US", "postal_code": "60601"}}}
        return event("checkout.session.completed", done), subscription

    def payment_method_attached(self, customer):
        """The payment_method.attached event of the customer's card (checkout, or the portal)."""
        return event("payment_method.attached", self.payment_methods[customer])

    def invoice(self, customer, number, status="paid", amount=4900):
        inv = {"id": "in_" + uuid.uuid4().hex[:20], "object": "invoice", "customer": customer, "number": number,
               "status": status, "amount_paid": amount if status == "paid" else 0, "amount_due": amount,
               "currency": "usd", "created": int(time.time()) - 86400 * len(self.invoices.get(customer, [])),
               "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/" + number,
               "invoice_pdf": "https://pay.stripe.com/invoice/acct_test/%s/pdf" % number,
               "customer_email": "payer@example.com", "customer_address": {"line1": "1 Main St"}}
        self.invoices.setdefault(customer, []).append(inv)
        return inv


def event(typ, obj, ev_id=None):
    """A Stripe event object around obj."""
    return {"id": ev_id or "evt_" + uuid.uuid4().hex, "object": "event", "type": typ, "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}
