#!/usr/bin/env python3
"""Drive a running sfemu with zeep, from the WSDLs it generates.

    python3 zeep_live.py BASE_URL USERNAME PASSWORD

Partner: downloads /soap/wsdl.jsp?version=64.0, logs in (login() answers up
to API 64.0), queries Accounts with the session in the SessionHeader and
reads the generic records' fields. Enterprise: downloads
/soap/wsdl.jsp?type=*&version=64.0, creates a Lead as a typed ens:Lead with
the login's session, updates it, queries it back, and checks that a bad
session is the fault sf:INVALID_SESSION_ID. Exits 0 when all of it works, 1
with what failed otherwise. zeep is Debian's python3-zeep.
"""

import sys

try:
    import zeep
    import zeep.exceptions
except ImportError as exc:
    sys.exit("zeep_live: %s (apt-get install python3-zeep)" % exc)


def fail(msg):
    print("zeep_live: FAIL " + msg)
    sys.exit(1)


def field(record, name):
    """A field of a Partner record: typed elements first, then the any elements."""
    value = getattr(record, name, None)
    if value is not None:
        return value
    for el in getattr(record, "_value_1", None) or []:
        if el.tag.endswith("}" + name):
            return el.text
    return None


def unwrap(resp):
    """The call's result: zeep answers {body, header} when the output has
    SOAP headers (LimitInfoHeader), the result itself otherwise."""
    body = getattr(resp, "body", None)
    if body is not None:
        return body["result"]
    return resp


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base, username, password = sys.argv[1:]

    partner = zeep.Client(base + "/soap/wsdl.jsp?version=64.0")
    login = partner.service.login(username=username, password=password)
    if not login.sessionId or not login.serverUrl.startswith(base):
        fail("login: %r" % login)
    session = partner.get_element("{urn:partner.soap.sforce.com}SessionHeader")(sessionId=login.sessionId)
    qr = unwrap(partner.service.query(queryString="SELECT Id, Name FROM Account ORDER BY Name", _soapheaders=[session]))
    names = [field(r, "Name") for r in qr.records]
    if qr.size < 1 or not all(names):
        fail("Partner query: size %s, names %r" % (qr.size, names))
    print("zeep_live: Partner login and query: %d Accounts (%s)" % (qr.size, ", ".join(names)))

    ent = zeep.Client(base + "/soap/wsdl.jsp?type=*&version=64.0")
    esession = ent.get_element("{urn:enterprise.soap.sforce.com}SessionHeader")(sessionId=login.sessionId)
    lead = ent.get_type("{urn:sobject.enterprise.soap.sforce.com}Lead")(LastName="Zeep", Company="Python SOAP")
    saved = unwrap(ent.service.create(sObjects=[lead], _soapheaders=[esession]))
    if not saved or not saved[0].success:
        fail("Enterprise create: %r" % saved)
    lead_id = saved[0].id
    change = ent.get_type("{urn:sobject.enterprise.soap.sforce.com}Lead")(Id=lead_id, Company="Renamed by zeep")
    updated = unwrap(ent.service.update(sObjects=[change], _soapheaders=[esession]))
    if not updated[0].success:
        fail("Enterprise update: %r" % updated)
    back = unwrap(ent.service.query(queryString="SELECT Id, Company, LastName FROM Lead WHERE Id = '%s'" % lead_id, _soapheaders=[esession]))
    if back.size != 1 or back.records[0].Company != "Renamed by zeep" or back.records[0].LastName != "Zeep":
        fail("Enterprise query back: %r" % back)
    print("zeep_live: Enterprise create, update and query of Lead %s" % lead_id)

    bad = ent.get_element("{urn:enterprise.soap.sforce.com}SessionHeader")(sessionId="00Dxx0000000001!bogus")
    try:
        ent.service.getUserInfo(_soapheaders=[bad])
        fail("a bogus session was accepted")
    except zeep.exceptions.Fault as f:
        if f.code != "sf:INVALID_SESSION_ID":
            fail("bad session fault code %r" % f.code)
    print("zeep_live: a bad session is sf:INVALID_SESSION_ID")


if __name__ == "__main__":
    main()
