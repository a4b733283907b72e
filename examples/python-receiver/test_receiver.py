"""Unit tests of receiver.py: the DER reader, RS256, the envelope parser and
the answers, malformed inputs included. Run: python3 -m unittest -v test_receiver
"""

import base64
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import unittest

import receiver as r

KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "keys")


def read(name):
    with open(os.path.join(KEYS, name), encoding="utf-8") as f:
        return f.read()


def pem(label, der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pkcs8_der():
    return base64.b64decode("".join(read("server.key").split("-----")[2].split()))


class PrivateKeys(unittest.TestCase):
    def test_pkcs8_and_pkcs1_files_are_the_same_key(self):
        k8 = r.parse_private_key(read("server.key"))        # starts with a comment line
        k1 = r.parse_private_key(read("server-pkcs1.key"))
        self.assertEqual((k8.n, k8.e, k8.d), (k1.n, k1.e, k1.d))
        self.assertEqual(k8.n.bit_length(), 2048)
        self.assertEqual(k8.e, 65537)
        self.assertEqual(k8.p * k8.q, k8.n)

    def test_crlf_line_ends(self):
        self.assertEqual(r.parse_private_key(read("server.key").replace("\n", "\r\n")).n,
                         r.parse_private_key(read("server.key")).n)

    def test_refusals_name_the_problem(self):
        der = pkcs8_der()
        pss = der.replace(r.RSA_ENCRYPTION_OID, bytes.fromhex("2a864886f70d01010a"), 1)   # id-RSASSA-PSS
        cases = {
            "no PEM block": ("just text", "no -----BEGIN PRIVATE KEY-----"),
            "a certificate only": (read("server.crt"), "no -----BEGIN PRIVATE KEY-----"),
            "encrypted PKCS#8": (pem("ENCRYPTED PRIVATE KEY", der), "encrypted"),
            "encrypted PKCS#1": ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----",
                                 "encrypted"),
            "not base64": ("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----", "not base64"),
            "truncated": (pem("PRIVATE KEY", der[:-10]), "DER"),
            "trailing bytes": (pem("PRIVATE KEY", der + b"\x00\x00"), "not one SEQUENCE"),
            "another algorithm": (pem("PRIVATE KEY", pss), "not RSA"),
            "PKCS#8 as PKCS#1": (pem("RSA PRIVATE KEY", der), "PKCS#1"),
            "empty": ("", "no -----BEGIN"),
        }
        for name, (text, want) in cases.items():
            with self.subTest(name):
                with self.assertRaises(r.KeyFormatError) as cm:
                    r.parse_private_key(text)
                self.assertIn(want, str(cm.exception))

    def test_every_truncation_and_random_damage_is_a_key_error(self):
        der = pkcs8_der()
        for n in range(len(der)):
            with self.assertRaises(r.KeyFormatError):
                r.parse_pkcs8(der[:n])
        rnd = random.Random(1)
        for _ in range(300):
            damaged = bytearray(der)
            for _ in range(rnd.randint(1, 4)):
                damaged[rnd.randrange(len(der))] = rnd.randrange(256)
            try:
                r.parse_pkcs8(bytes(damaged))
            except r.KeyFormatError:
                pass
        for _ in range(300):
            try:
                r.parse_pkcs8(bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 64))))
            except r.KeyFormatError:
                pass


class RS256(unittest.TestCase):
    key = r.parse_private_key(read("server.key"))

    def test_signature_is_pkcs1_v1_5_over_sha256(self):
        sig = r.sign_rs256(self.key, b"hello")
        self.assertEqual(len(sig), 256)
        em = pow(int.from_bytes(sig, "big"), self.key.e, self.key.n).to_bytes(256, "big")
        self.assertEqual(em, b"\x00\x01" + b"\xff" * 202 + b"\x00" + r.SHA256_DIGEST_INFO + hashlib.sha256(b"hello").digest())
        self.assertEqual(sig, r.sign_rs256(self.key, b"hello"))   # deterministic

    @unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
    def test_same_signature_as_openssl(self):
        out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(KEYS, "server.key")],
                             input=b"header.claims", capture_output=True, check=True).stdout
        self.assertEqual(r.sign_rs256(self.key, b"header.claims"), out)

    def test_inconsistent_or_tiny_keys_are_refused(self):
        k = self.key
        bad = r.RSAKey(k.n, k.e, k.d, k.p, k.q, k.dp + 1, k.dq, k.qinv)
        with self.assertRaisesRegex(r.KeyFormatError, "inconsistent"):
            r.sign_rs256(bad, b"x")
        p, q, e, d = 61, 53, 17, 2753
        tiny = r.RSAKey(p * q, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
        with self.assertRaisesRegex(r.KeyFormatError, "too short"):
            r.sign_rs256(tiny, b"x")

    def test_assertion(self):
        jwt = r.make_assertion(self.key, "3MVG9key", "sender@acme.example", "https://login.salesforce.com", now=1000)
        header, claims, sig = jwt.split(".")

        def decode(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        self.assertEqual(json.loads(decode(header)), {"alg": "RS256"})
        self.assertEqual(json.loads(decode(claims)), {"iss": "3MVG9key", "sub": "sender@acme.example",
                                                      "aud": "https://login.salesforce.com", "exp": 1180})
        self.assertNotIn("=", jwt)
        self.assertEqual(decode(sig), r.sign_rs256(self.key, f"{header}.{claims}".encode()))


def envelope(session='<SessionId xsi:nil="true"/>', notifications=None, org="00Dxx0000001gPLEAY",
             partner="http://127.0.0.1:8085/services/Soap/u/61.0/00Dxx0000001gPL"):
    if notifications is None:
        notifications = NOTIFICATION
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04kxx00000000blAAA</ActionId>
   {session}
   <EnterpriseUrl>http://127.0.0.1:8085/services/Soap/c/61.0/00Dxx0000001gPL</EnterpriseUrl>
   <PartnerUrl>{partner}</PartnerUrl>
   {notifications}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


NOTIFICATION = """<Notification><Id>04lxx000000CaSdAAK</Id>
    <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>001xx000003DGb2AAG</sf:Id><sf:Name>Edge &amp; Co</sf:Name><sf:Phone xsi:nil="true"/>
    </sObject></Notification>"""


class Envelope(unittest.TestCase):
    def test_after_the_removal(self):
        msg = r.parse_notifications(envelope())
        self.assertEqual(msg["org_id"], "00Dxx0000001gPLEAY")
        self.assertEqual(msg["action_id"], "04kxx00000000blAAA")
        self.assertEqual(msg["session_id"], "")
        self.assertEqual(msg["notifications"], [{"id": "04lxx000000CaSdAAK", "object": "Account", "record_id": "001xx000003DGb2AAG",
                                                 "fields": {"Id": "001xx000003DGb2AAG", "Name": "Edge & Co", "Phone": None}}])
        self.assertEqual(r.api_version(msg), "61.0")
        self.assertEqual(r.instance_of(msg["partner_url"]), "http://127.0.0.1:8085")

    def test_session_id_and_versions(self):
        msg = r.parse_notifications(envelope(session="<SessionId>00Dxx!AQ.token</SessionId>"))
        self.assertEqual(msg["session_id"], "00Dxx!AQ.token")
        self.assertEqual(r.parse_notifications(envelope(session=""))["session_id"], "")
        self.assertEqual(r.api_version(r.parse_notifications(envelope(partner=""))), "61.0")   # the EnterpriseUrl's
        msg["partner_url"] = msg["enterprise_url"] = ""
        self.assertEqual(r.api_version(msg), "60.0")

    def test_namespaces_not_prefixes(self):
        doc = """<a:Envelope xmlns:a="http://schemas.xmlsoap.org/soap/envelope/"><a:Body>
          <b:notifications xmlns:b="http://soap.sforce.com/2005/09/outbound" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
           <b:OrganizationId>00Dxx0000001gPL</b:OrganizationId><b:SessionId i:nil="1"/>
           <b:Notification><b:Id>04l1</b:Id><b:sObject i:type="q:Lead" xmlns:q="urn:sobject.enterprise.soap.sforce.com">
             <q:Id>00Qxx0000000001AAA</q:Id><Other>ignored: no namespace</Other></b:sObject></b:Notification>
          </b:notifications></a:Body></a:Envelope>"""
        msg = r.parse_notifications(doc.encode())
        self.assertEqual(msg["session_id"], "")
        self.assertEqual(msg["notifications"][0]["object"], "Lead")
        self.assertEqual(msg["notifications"][0]["fields"], {"Id": "00Qxx0000000001AAA"})

    def test_malformed_messages(self):
        many = NOTIFICATION * 101
        cases = {
            "empty": (b"", "not XML"),
            "not XML": (b"hello", "not XML"),
            "HTML": (b"<html><body>hi</html>", "not XML"),
            "billion laughs": (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>', "DOCTYPE"),
            "external entity": (b'<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>', "DOCTYPE"),
            "unknown encoding": (b'<?xml version="1.0" encoding="x-nope"?><a/>', "not XML"),
            "SOAP 1.2": (b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>', "not a SOAP 1.1 envelope"),
            "no notifications": (b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>', "no notifications"),
            "notifications in no namespace": (envelope().replace(b' xmlns="http://soap.sforce.com/2005/09/outbound"', b""), "no notifications"),
            "no OrganizationId": (envelope(org=""), "no OrganizationId"),
            "no Notification": (envelope(notifications=""), "this one 0"),
            "101 notifications": (envelope(notifications=many), "this one 101"),
            "a Notification without Id": (envelope(notifications="<Notification><sObject/></Notification>"), "Notification 1 has no Id"),
            "over 1 MiB": (envelope(notifications=NOTIFICATION + " " * r.MAX_BODY), "exceeds"),
            "truncated": (envelope()[:200], "not XML"),
        }
        for name, (body, want) in cases.items():
            with self.subTest(name):
                with self.assertRaises(r.BadMessage) as cm:
                    r.parse_notifications(body)
                self.assertIn(want, str(cm.exception))

    def test_random_damage_is_a_bad_message_or_parses(self):
        rnd, good = random.Random(2), envelope()
        for _ in range(500):
            damaged = bytearray(good)
            for _ in range(rnd.randint(1, 3)):
                damaged[rnd.randrange(len(good))] = rnd.choice(b"<>&\"'/:= \x00\xffax")
            try:
                r.parse_notifications(bytes(damaged))
            except r.BadMessage:
                pass


class FakeSalesforce:
    """Stands in for Salesforce: REST answers scripted per call."""

    def __init__(self, answers=()):
        self.answers, self.calls, self.logins = list(answers), [], 0

    def token(self, stale=None):
        self.logins += 1
        return r.Token(f"token{self.logins}", "https://acme.my.salesforce.com")

    def rest(self, token, method, path, version, payload=None):
        self.calls.append((token.access_token, method, path, version, payload))
        answer = self.answers.pop(0) if self.answers else {}
        if isinstance(answer, Exception):
            raise answer
        return answer


class Answers(unittest.TestCase):
    cfg = {"org_id": "00Dxx0000001gPL"}

    def setUp(self):
        self.logged, log = [], r.log
        r.log = lambda **line: self.logged.append(line)
        self.addCleanup(setattr, r, "log", log)

    def test_processed_then_duplicate(self):
        sf = FakeSalesforce()
        rcv = r.Receiver(self.cfg, sf)
        self.assertEqual(rcv.handle(envelope()), (200, r.ACK))
        self.assertEqual(rcv.handle(envelope()), (200, r.ACK))
        self.assertEqual([c[1:4] for c in sf.calls], [("GET", "/sobjects/Account/001xx000003DGb2AAG?fields=Id", "61.0"),
                                                      ("POST", "/sobjects/Task", "61.0")])
        self.assertEqual(sf.calls[1][4], {"Subject": "Outbound message 04lxx000000CaSdAAK", "Status": "Completed",
                                          "WhatId": "001xx000003DGb2AAG"})
        self.assertEqual(sf.logins, 1)
        self.assertEqual([(l["notification"], l["auth"], l["outcome"]) for l in self.logged],
                         [("04lxx000000CaSdAAK", "jwt", "processed"), ("04lxx000000CaSdAAK", "none", "duplicate")])

    def test_session_id_is_used_on_the_partner_urls_instance(self):
        sf = FakeSalesforce()
        self.assertEqual(r.Receiver(self.cfg, sf).handle(envelope(session="<SessionId>SESSION</SessionId>"))[0], 200)
        self.assertEqual(sf.logins, 0)
        self.assertEqual(sf.calls[0][0], "SESSION")

    def test_fault_starts_with_salesforces_cause(self):
        sf = FakeSalesforce([{}, r.Failure("REQUIRED_FIELD_MISSING: Required fields are missing: [Region__c]", 400, "REQUIRED_FIELD_MISSING")])
        status, body = r.Receiver(self.cfg, sf).handle(envelope())
        self.assertEqual(status, 500)
        self.assertIn(b"<faultcode>soapenv:Server</faultcode><faultstring>REQUIRED_FIELD_MISSING: Required fields are missing: "
                      b"[Region__c] (notification 04lxx000000CaSdAAK)</faultstring>", body)

    def test_invalid_session_logs_in_again_once(self):
        expired = r.Failure("INVALID_SESSION_ID: Session expired or invalid", 401, "INVALID_SESSION_ID")
        sf = FakeSalesforce([expired, {}, {}])
        self.assertEqual(r.Receiver(self.cfg, sf).handle(envelope())[0], 200)
        self.assertEqual(sf.logins, 2)
        self.assertEqual([c[0] for c in sf.calls], ["token1", "token2", "token2"])
        sf = FakeSalesforce([expired, expired])
        status, body = r.Receiver(self.cfg, sf).handle(envelope())
        self.assertEqual((status, sf.logins), (500, 2))
        self.assertIn(b"<faultstring>INVALID_SESSION_ID: ", body)

    def test_a_refused_message_session_falls_back_to_the_jwt_login(self):
        expired = r.Failure("INVALID_SESSION_ID: Session expired or invalid", 401, "INVALID_SESSION_ID")
        sf = FakeSalesforce([expired, {}, {}])
        self.assertEqual(r.Receiver(self.cfg, sf).handle(envelope(session="<SessionId>REVOKED</SessionId>"))[0], 200)
        self.assertEqual([c[0] for c in sf.calls], ["REVOKED", "token1", "token1"])
        self.assertEqual((self.logged[0]["auth"], self.logged[0]["relogin"]), ("jwt", True))

    def test_a_failed_login_fails_every_notification_once(self):
        class Refusing(FakeSalesforce):
            def token(self, stale=None):
                self.logins += 1
                raise r.Failure("invalid_app_access: user is not admin approved to access this app", 400, "invalid_app_access")
        sf = Refusing()
        second = NOTIFICATION.replace("04lxx000000CaSdAAK", "04lxx000000CaSeAAK")
        status, body = r.Receiver(self.cfg, sf).handle(envelope(notifications=NOTIFICATION + second))
        self.assertEqual((status, sf.logins, sf.calls), (500, 1, []))
        self.assertIn(b"<faultstring>invalid_app_access: user is not admin approved to access this app "
                      b"(notification 04lxx000000CaSdAAK, and 1 more failed)</faultstring>", body)

    def test_other_org(self):
        status, body = r.Receiver({"org_id": "00Dxx0000009zzz"}, FakeSalesforce()).handle(envelope())
        self.assertEqual(status, 500)
        self.assertIn(b"<faultcode>soapenv:Client</faultcode><faultstring>unknown organization 00Dxx0000001gPLEAY: "
                      b"this receiver serves 00Dxx0000009zzz</faultstring>", body)
        # 15 characters compared, case-sensitively
        self.assertEqual(r.Receiver({"org_id": "00Dxx0000001gpl"}, FakeSalesforce()).handle(envelope())[0], 500)

    def test_a_connection_error_is_the_exception_text(self):
        with socket.socket() as s:      # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with self.assertRaises(r.Failure) as cm:
            r.http_call("POST", f"http://127.0.0.1:{port}/services/oauth2/token")
        self.assertRegex(str(cm.exception), rf"^\[Errno \d+\] Connection refused, calling POST http://127.0.0.1:{port}/services/oauth2/token$")

    def test_fault_text_is_escaped_xml(self):
        status, body = r.fault("soapenv:Server", "a <b> & \x00 c")
        self.assertIn(b"<faultstring>a &lt;b&gt; &amp; ? c</faultstring>", body)


if __name__ == "__main__":
    unittest.main()
