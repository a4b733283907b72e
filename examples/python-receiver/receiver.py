#!/usr/bin/env python3
"""A Salesforce outbound-message receiver in Python 3, standard library only.

It follows sfemu's receiver contract (docs/RECEIVERS.md) and nothing else of
sfemu: configuration comes from the environment, messages arrive as SOAP 1.1
`notifications` envelopes (SOAP API Developer Guide, "Outbound Messaging"),
and for each notification it reads the record and creates a completed Task
on it through the REST API. When the message carries no session ID (Salesforce
stopped sending them in February 2026) it logs in with the "OAuth 2.0 JWT
Bearer Flow for Server-to-Server Integration" (Salesforce Help), signing the
assertion itself: RS256 is a few lines of integer arithmetic.

    GET  /health         200 "ok"
    POST /notifications  outbound messages: 200 Ack, or 500 SOAP fault
"""

import base64
import binascii
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import OrderedDict, namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

MAX_BODY = 1 << 20          # refuse messages over 1 MiB
MAX_ANSWER = 8 << 20        # read at most 8 MiB of a Salesforce answer
HTTP_TIMEOUT = 30           # seconds, for every call to Salesforce
ASSERTION_LIFETIME = 180    # the JWT's exp: Salesforce asks for "within 3 minutes"
DEDUPE_SIZE = 10000         # processed Notification Ids remembered
DEFAULT_API_VERSION = "60.0"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_OUT = "http://soap.sforce.com/2005/09/outbound"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_SOBJECT = "urn:sobject.enterprise.soap.sforce.com"
# Our own prefixes for ElementTree's find(): elements match by namespace, so
# whatever prefixes the sender chose do not matter.
NS = {"soap": NS_SOAP, "o": NS_OUT}

ID_RE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
OBJECT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")   # it goes into a URL path
VERSION_RE = re.compile(r"/services/Soap/[uc]/(\d+\.\d+)(?:/|$)")

_log_lock = threading.Lock()


def log(**fields):
    """One JSON object per line on stderr."""
    line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **fields}, ensure_ascii=False)
    with _log_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


# --- RSA private keys: PEM, then a minimal DER reader -------------------------------

class KeyFormatError(ValueError):
    pass


RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")   # 1.2.840.113549.1.1.1
PEM_RE = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)
RSAKey = namedtuple("RSAKey", "n e d p q dp dq qinv")


def der_next(data, pos):
    """Reads the DER tag-length-value at data[pos:]: (tag, value, end)."""
    if pos + 2 > len(data):
        raise KeyFormatError("DER: truncated")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:                       # long form: the next n bytes hold the length
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise KeyFormatError("DER: bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise KeyFormatError("DER: truncated")
    return tag, data[pos:pos + length], pos + length


def der_items(value):
    """The (tag, value) pairs inside a constructed value."""
    items, pos = [], 0
    while pos < len(value):
        tag, v, pos = der_next(value, pos)
        items.append((tag, v))
    return items


def der_sequence(data):
    tag, value, end = der_next(data, 0)
    if tag != 0x30 or end != len(data):
        raise KeyFormatError("DER: not one SEQUENCE")
    return der_items(value)


def der_uint(item):
    tag, value = item
    if tag != 0x02 or not value or value[0] & 0x80:
        raise KeyFormatError("DER: expected a non-negative INTEGER")
    return int.from_bytes(value, "big")


def parse_pkcs1(der):
    """RSAPrivateKey (RFC 8017 appendix A.1.2): version, n, e, d, p, q, dP, dQ, qInv."""
    items = der_sequence(der)
    if len(items) < 9 or der_uint(items[0]) != 0:
        raise KeyFormatError("not a two-prime PKCS#1 RSAPrivateKey")
    key = RSAKey(*(der_uint(i) for i in items[1:9]))
    if key.p * key.q != key.n:
        raise KeyFormatError("RSA key: p*q != n")
    return key


def parse_pkcs8(der):
    """PrivateKeyInfo (RFC 5208): version, AlgorithmIdentifier, OCTET STRING."""
    items = der_sequence(der)
    if len(items) < 3 or items[1][0] != 0x30 or items[2][0] != 0x04:
        raise KeyFormatError("not a PKCS#8 PrivateKeyInfo")
    algorithm = der_items(items[1][1])
    if not algorithm or algorithm[0] != (0x06, RSA_ENCRYPTION_OID):
        raise KeyFormatError("PKCS#8 key is not RSA (JWT bearer assertions are signed RS256)")
    return parse_pkcs1(items[2][1])


def parse_private_key(text):
    """An RSA key from PEM text; lines before the block (comments) are ignored."""
    for label, body in PEM_RE.findall(text):
        if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in body:
            raise KeyFormatError("the key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)")
        if label not in ("PRIVATE KEY", "RSA PRIVATE KEY"):
            continue
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise KeyFormatError(f"the {label} block is not base64") from None
        return parse_pkcs8(der) if label == "PRIVATE KEY" else parse_pkcs1(der)
    raise KeyFormatError("no -----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY----- (PKCS#1) block")


# --- RS256 and the JWT bearer assertion ---------------------------------------------

# DER of DigestInfo{sha256, NULL} without the digest (RFC 8017 section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def sign_rs256(key, message):
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 section 8.2), using the CRT.

    Written by hand to stay within the standard library. pow() is not
    constant-time: in production prefer a vetted library (`cryptography`).
    """
    k = (key.n.bit_length() + 7) // 8
    t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    if k < len(t) + 11:
        raise KeyFormatError("RSA key too short for SHA-256")
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t     # EMSA-PKCS1-v1_5
    m = int.from_bytes(em, "big")
    s1, s2 = pow(m, key.dp, key.p), pow(m, key.dq, key.q)
    s = s2 + key.q * ((key.qinv * (s1 - s2)) % key.p)
    # A CRT fault gives a bad signature that reveals a factor of n (the
    # Bellcore attack); checking it costs one small exponentiation.
    if pow(s, key.e, key.n) != m:
        raise KeyFormatError("RSA key is inconsistent: the signature does not verify")
    return s.to_bytes(k, "big")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_assertion(key, iss, sub, aud, now=None):
    """The JWT bearer flow's assertion: iss, sub, aud and exp, signed RS256."""
    now = int(time.time() if now is None else now)
    claims = {"iss": iss, "sub": sub, "aud": aud, "exp": now + ASSERTION_LIFETIME}
    signing_input = b64url(json.dumps({"alg": "RS256"}).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(sign_rs256(key, signing_input.encode("ascii")))


# --- The outbound message -----------------------------------------------------------

class BadMessage(ValueError):
    """The request is not an outbound message this receiver can read."""


class _NoDoctype(ET.TreeBuilder):
    # A DOCTYPE can declare entities (billion laughs, external files); no
    # outbound message has one, so the parse stops there.
    def doctype(self, name, pubid, system):
        raise BadMessage("DOCTYPE declarations are not accepted")


def _text(el):
    return (el.text or "").strip() if el is not None else ""


def _is_nil(el):
    return el is not None and el.get(f"{{{NS_XSI}}}nil", "").strip() in ("true", "1")


def parse_notifications(body):
    """Reads a SOAP 1.1 notifications envelope by namespace, never by prefix."""
    if len(body) > MAX_BODY:
        raise BadMessage(f"message body exceeds {MAX_BODY} bytes (1 MiB)")
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body)
        root = parser.close()
    except BadMessage:
        raise
    except (ET.ParseError, LookupError, ValueError) as e:   # LookupError: an unknown encoding
        raise BadMessage(f"not XML: {e}") from None
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise BadMessage(f"not a SOAP 1.1 envelope: the root element is {root.tag}")
    n = root.find("soap:Body/o:notifications", NS)
    if n is None:
        raise BadMessage(f"the SOAP Body holds no notifications element in namespace {NS_OUT}")
    session = n.find("o:SessionId", NS)
    msg = {
        "org_id": _text(n.find("o:OrganizationId", NS)),
        "action_id": _text(n.find("o:ActionId", NS)),
        "session_id": "" if _is_nil(session) else _text(session),   # xsi:nil since February 2026
        "enterprise_url": _text(n.find("o:EnterpriseUrl", NS)),
        "partner_url": _text(n.find("o:PartnerUrl", NS)),
        "notifications": [],
    }
    if not msg["org_id"]:
        raise BadMessage("the notifications element has no OrganizationId")
    items = n.findall("o:Notification", NS)
    if not 1 <= len(items) <= 100:
        raise BadMessage(f"a message holds 1 to 100 Notification elements, this one {len(items)}")
    for i, item in enumerate(items, 1):
        nid = _text(item.find("o:Id", NS))
        if not nid:
            raise BadMessage(f"Notification {i} has no Id")
        sobj = item.find("o:sObject", NS)
        sobj = sobj if sobj is not None else ET.Element("sObject")
        # The record's fields, in the enterprise sObject namespace; nil is None.
        fields = {f.tag.split("}")[1]: None if _is_nil(f) else (f.text or "")
                  for f in sobj if f.tag.startswith(f"{{{NS_SOBJECT}}}")}
        # xsi:type="sf:Account": ElementTree does not resolve prefixes in
        # attribute values; the type's local name is what matters.
        obj = sobj.get(f"{{{NS_XSI}}}type", "").rpartition(":")[2].strip()
        msg["notifications"].append({"id": nid, "object": obj, "record_id": (fields.get("Id") or "").strip(),
                                     "fields": fields})
    return msg


def api_version(msg):
    """The message's API version: NN.0 of /services/Soap/u/NN.0/ in its URLs."""
    for url in (msg["partner_url"], msg["enterprise_url"]):
        m = VERSION_RE.search(url)
        if m:
            return m.group(1)
    return DEFAULT_API_VERSION


# --- Salesforce: the token endpoint and the REST API --------------------------------

class Failure(Exception):
    """A notification that could not be processed. Its text starts with the
    cause: Salesforce's own words where it answered ("error: error_description"
    from the token endpoint, "errorCode: message" from the REST API)."""

    def __init__(self, cause, status=0, code=""):
        super().__init__(cause)
        self.status, self.code = status, code


Token = namedtuple("Token", "access_token instance_url")


def instance_of(url):
    """scheme://host[:port] of the PartnerUrl: where the message's session is good."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise Failure(f"the message has a SessionId but no usable PartnerUrl ({url!r})")
    return f"{u.scheme}://{u.netloc.rpartition('@')[2]}"


def _excerpt(data):
    s = " ".join(data.decode("utf-8", "replace").split())
    return (s[:200] + "...") if len(s) > 200 else (s or "(empty body)")


def _json(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def http_call(method, url, body=None, headers=None):
    """(status, body). urllib raises for 4xx and 5xx; here they are answers."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, resp.read(MAX_ANSWER)
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read(MAX_ANSWER)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:  # refused, DNS, TLS, timeout
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        raise Failure(f"{reason}, calling {method} {url.split('?')[0]}") from None


class Salesforce:
    def __init__(self, cfg):
        self.cfg = cfg
        self._lock = threading.Lock()    # held during a login: concurrent messages wait for one
        self._token = None

    def token(self, stale=None):
        """The cached JWT login; a new one when there is none or it is `stale`
        (another thread may have replaced it already)."""
        with self._lock:
            if self._token is None or self._token is stale:
                self._token = None
                self._token = self._login()
            return self._token

    def _login(self):
        c = self.cfg
        assertion = make_assertion(c["key"], c["consumer_key"], c["username"], c["audience"])
        form = urllib.parse.urlencode({"grant_type": JWT_BEARER, "assertion": assertion}).encode()
        status, data = http_call("POST", c["login_url"] + "/services/oauth2/token", form,
                                 {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        answer = _json(data)
        if not isinstance(answer, dict) or (status != 200 and not answer.get("error")):
            raise Failure(f"token endpoint answered HTTP {status}: {_excerpt(data)}", status)
        if status != 200:    # {"error": "invalid_app_access", "error_description": "user is not admin approved…"}
            error, desc = str(answer["error"]), str(answer.get("error_description") or "")
            raise Failure(f"{error}: {desc}" if desc else error, status, error)
        if not answer.get("access_token") or not answer.get("instance_url"):
            raise Failure("token endpoint answered 200 without access_token and instance_url", status)
        return Token(answer["access_token"], answer["instance_url"].rstrip("/"))

    @staticmethod
    def rest(token, method, path, version, payload=None):
        """One REST call under /services/data/vNN.0; the decoded JSON answer."""
        headers = {"Authorization": "Bearer " + token.access_token, "Accept": "application/json"}
        body = None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        status, data = http_call(method, f"{token.instance_url}/services/data/v{version}{path}", body, headers)
        answer = _json(data) if data.strip() else None
        if 200 <= status < 300:
            return answer
        # REST API Developer Guide, "Status Codes and Error Responses": a JSON
        # array of {"errorCode", "message"} (a few resources answer one object).
        errors = [answer] if isinstance(answer, dict) else answer
        if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
            cause = "; ".join(f"{e.get('errorCode', '')}: {e.get('message', '')}" for e in errors)
            raise Failure(cause, status, str(errors[0].get("errorCode", "")))
        raise Failure(f"HTTP {status} from {method} {path.split('?')[0]}: {_excerpt(data)}", status)


# --- Processing ----------------------------------------------------------------------

class Seen:
    """The last `size` processed Notification Ids. Salesforce may deliver a
    notification again, even after an Ack: the Id is the dedupe key."""

    def __init__(self, size=DEDUPE_SIZE):
        self._ids, self._size, self._lock = OrderedDict(), size, threading.Lock()

    def __contains__(self, nid):
        with self._lock:
            return nid in self._ids

    def add(self, nid):
        with self._lock:
            self._ids[nid] = True
            self._ids.move_to_end(nid)
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)


class Receiver:
    """Turns one POSTed message into its answer; shared by all connections."""

    def __init__(self, cfg, salesforce=None):
        self.cfg = cfg
        self.sf = salesforce or Salesforce(cfg)
        self.seen = Seen()

    def handle(self, body):
        """(HTTP status, SOAP answer) for one POSTed message."""
        try:
            msg = parse_notifications(body)
        except BadMessage as e:
            log(level="error", event="message refused", error=str(e))
            return fault("soapenv:Client", str(e))
        if msg["org_id"][:15] != self.cfg["org_id"][:15]:   # 15- and 18-character ids; case-sensitive
            reason = f"unknown organization {msg['org_id']}: this receiver serves {self.cfg['org_id']}"
            for n in msg["notifications"]:
                self._log(msg, n, "none", "refused", error=reason)
            return fault("soapenv:Client", reason)
        job, failures = Job(self.sf, msg), []
        for n in msg["notifications"]:
            # Redeliveries come one after another; two copies of one
            # notification arriving at the same moment could both be processed.
            if n["id"] in self.seen:
                self._log(msg, n, "none", "duplicate")
                continue
            try:
                job.process(n)
            except Failure as e:
                failures.append((n, str(e)))
                self._log(msg, n, job.auth, "failed", relogin=job.relogin, error=str(e))
                continue
            self.seen.add(n["id"])
            self._log(msg, n, job.auth, "processed", relogin=job.relogin)
        if not failures:
            return 200, ACK
        # Salesforce shows the faultstring as the Delivery Failure Reason and
        # retries the whole message; the notifications processed now will be
        # duplicates then.
        (n, cause), more = failures[0], len(failures) - 1
        where = f"notification {n['id']}" + (f", and {more} more failed" if more else "")
        return fault("soapenv:Server", f"{cause} ({where})")

    @staticmethod
    def _log(msg, n, auth, outcome, relogin=False, error=None):
        line = {"level": "error" if error else "info", "event": "notification", "notification": n["id"],
                "org": msg["org_id"], "object": n["object"], "record": n["record_id"], "auth": auth, "outcome": outcome}
        if relogin:
            line["relogin"] = True
        if error:
            line["error"] = error
        log(**line)


class Job:
    """The notifications of one message: one way to authenticate, one API version."""

    def __init__(self, sf, msg):
        self.sf, self.msg, self.version = sf, msg, api_version(msg)
        self.token, self.auth, self.relogin = None, "none", False
        self.login_error = None   # a failed login is not repeated for each notification

    def authenticate(self):
        if self.token is not None:
            return
        if self.login_error is not None:
            raise self.login_error
        if self.msg["session_id"]:      # before February 2026: the message's own session
            self.token = Token(self.msg["session_id"], instance_of(self.msg["partner_url"] or self.msg["enterprise_url"]))
            self.auth = "session"
            return
        # The JWT login's token goes only to the instance_url the token
        # endpoint answered, never to a URL taken from the (unsigned) message.
        self.auth = "jwt"
        try:
            self.token = self.sf.token()
        except Failure as e:
            self.login_error = e
            raise

    def call(self, method, path, payload=None):
        """A REST call. On 401 INVALID_SESSION_ID (timed out, revoked) it logs
        in again and retries, once per notification."""
        try:
            return self.sf.rest(self.token, method, path, self.version, payload)
        except Failure as e:
            if e.status != 401 or e.code != "INVALID_SESSION_ID" or self.relogin:
                raise
        self.relogin = True
        # A refused message session falls back to the JWT login; a refused
        # JWT token is replaced.
        self.token = self.sf.token(stale=self.token if self.auth == "jwt" else None)
        self.auth = "jwt"
        return self.sf.rest(self.token, method, path, self.version, payload)

    def process(self, n):
        self.relogin = False
        obj, rid = n["object"], n["record_id"]
        if not OBJECT_RE.match(obj):
            raise Failure(f"the notification's sObject has no usable xsi:type (got {obj!r})")
        if not ID_RE.match(rid):
            raise Failure(f"the notification's sObject has no usable Id (got {rid!r})")
        self.authenticate()
        # Read the record as it is now (the message holds it as it was when sent)...
        self.call("GET", f"/sobjects/{obj}/{rid}?fields=Id")
        # ...and record the outcome: a completed Task, related through WhoId
        # to a person (Lead, Contact), through WhatId to anything else.
        task = {"Subject": f"Outbound message {n['id']}", "Status": "Completed",
                ("WhoId" if obj in ("Lead", "Contact") else "WhatId"): rid}
        self.call("POST", "/sobjects/Task", task)


ACK = ('<?xml version="1.0" encoding="UTF-8"?>'
       f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"><soapenv:Body>'
       f'<notificationsResponse xmlns="{NS_OUT}"><Ack>true</Ack></notificationsResponse>'
       '</soapenv:Body></soapenv:Envelope>').encode()

_NOT_XML_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def fault(code, text):
    """A SOAP 1.1 fault, with HTTP 500 as SOAP 1.1 section 6.2 asks."""
    text = escape(_NOT_XML_CHARS.sub("?", text))
    return 500, ('<?xml version="1.0" encoding="UTF-8"?>'
                 f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"><soapenv:Body><soapenv:Fault>'
                 f'<faultcode>{code}</faultcode><faultstring>{text}</faultstring>'
                 '</soapenv:Fault></soapenv:Body></soapenv:Envelope>').encode()


# --- HTTP ----------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: Salesforce reuses its connections
    timeout = 75                    # seconds a connection may sit idle or trickle
    receiver = inflight = None      # set by serve()

    def do_GET(self):
        if self.path.partition("?")[0] == "/health":
            self._answer(200, b"ok", "text/plain; charset=utf-8")
        else:
            self._answer(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self):
        if self.path.partition("?")[0] != "/notifications":
            self.close_connection = True      # its body is left unread
            return self._answer(404, b"not found", "text/plain; charset=utf-8")
        with self.inflight:
            status, answer = self._notifications()
        self._answer(status, answer, "text/xml; charset=utf-8")

    def _notifications(self):
        length = self.headers.get("Content-Length", "").strip()
        if not length.isdigit():
            self.close_connection = True    # a chunked body would be left unread
            return fault("soapenv:Client", "a Content-Length header is required")
        length = int(length)
        try:
            body = self.rfile.read(min(length, MAX_BODY + 1))   # parse_notifications refuses the +1
            if length > MAX_BODY:
                # Read the rest too (up to 16 MiB, discarded): a sender still
                # writing when the connection closes sees a reset, not the fault.
                self.close_connection = True
                left = min(length, 16 * MAX_BODY) - len(body)
                while left > 0 and (chunk := self.rfile.read(min(left, 1 << 16))):
                    left -= len(chunk)
        except OSError as e:                # timed out, reset
            self.close_connection = True
            return fault("soapenv:Client", f"reading the body: {e}")
        try:
            return self.receiver.handle(body)
        except Exception as e:  # never crash: the message stays queued and is retried
            log(level="error", event="internal error", error=repr(e))
            return fault("soapenv:Server", f"internal error: {e!r}")

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            # Say so: a client that keeps the connection for its next
            # request would find it closed under it.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):   # no access log: the lines per notification say more
        pass


class InFlight:
    """Counts messages being processed, so that SIGTERM lets them finish."""

    def __init__(self):
        self._n, self._cond = 0, threading.Condition()

    def __enter__(self):
        with self._cond:
            self._n += 1

    def __exit__(self, *exc):
        with self._cond:
            self._n -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout):
        with self._cond:
            return self._cond.wait_for(lambda: self._n == 0, timeout)


def config_from_env(env):
    """The settings docs/RECEIVERS.md gives; a missing or bad one is named."""
    def need(name):
        value = env.get(name, "").strip()
        if not value:
            raise SystemExit(f"receiver: {name} is not set")
        return value

    cfg = {"org_id": need("SF_ORG_ID"), "login_url": need("SF_LOGIN_URL").rstrip("/"),
           "consumer_key": need("SF_CONSUMER_KEY"), "username": need("SF_USERNAME")}
    if not ID_RE.match(cfg["org_id"]):
        raise SystemExit(f"receiver: SF_ORG_ID {cfg['org_id']!r} is not a 15- or 18-character id")
    cfg["audience"] = env.get("SF_AUDIENCE", "").strip() or cfg["login_url"]
    path = need("SF_PRIVATE_KEY_FILE")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            cfg["key"] = parse_private_key(f.read())
    except (OSError, KeyFormatError) as e:
        raise SystemExit(f"receiver: SF_PRIVATE_KEY_FILE {path}: {e}")
    host, _, port = env.get("RECEIVER_LISTEN", "").rpartition(":")   # 0.0.0.0:8080 in a container
    cfg["host"] = host.strip("[]") or "127.0.0.1"
    port = env.get("PORT", "").strip() or port or "8080"
    if not port.isdigit() or int(port) > 65535:
        raise SystemExit(f"receiver: PORT {port!r} is not a port number")
    cfg["port"] = int(port)
    return cfg


def serve(cfg):
    Handler.receiver, Handler.inflight = Receiver(cfg), InFlight()
    server_class = ThreadingHTTPServer
    if ":" in cfg["host"]:
        server_class = type("Server6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    try:
        server = server_class((cfg["host"], cfg["port"]), Handler)
    except OSError as e:
        raise SystemExit(f"receiver: listen on {cfg['host']}:{cfg['port']}: {e}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    host, port = server.server_address[:2]
    log(level="info", event="listening", address=f"{host}:{port}", port=port, org=cfg["org_id"])
    stop.wait()
    server.shutdown()                       # no new connections
    drained = Handler.inflight.wait_idle(25)
    server.server_close()
    log(level="info", event="stopped", drained=drained)


if __name__ == "__main__":
    serve(config_from_env(os.environ))
