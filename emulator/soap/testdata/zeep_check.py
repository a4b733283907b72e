#!/usr/bin/env python3
"""Check that zeep, a strict Python SOAP client, takes an sfemu WSDL.

    python3 zeep_check.py WSDL_FILE_OR_URL [WSDL_FILE_OR_URL ...]

For each WSDL (Partner or Enterprise, told apart by its target namespace)
it builds a zeep client, finds service SforceService and port Soap, and
checks that the port has exactly the 17 calls sfemu answers, printing them.
Then, offline (a canned transport, no server needed), it has zeep write a
login request and a query request with SOAP headers, and read a
queryResponse with LimitInfoHeader and one record (Partner: a generic
sObject with its fields as any elements; Enterprise: a typed Account) and
an INVALID_SESSION_ID fault.

Exits 0 when every WSDL passes; 1 with zeep's error (or the warnings zeep
logged while loading it) otherwise; 2 on bad usage. Debian has zeep as
python3-zeep (run with /usr/bin/python3 if another python3 comes first).
"""

import logging
import sys
import warnings

try:
    import requests
    import zeep
    import zeep.exceptions
    from lxml import etree
except ImportError as exc:  # pragma: no cover
    sys.exit("zeep_check: %s (apt-get install python3-zeep)" % exc)

OPERATIONS = sorted([
    "login", "logout", "getUserInfo", "getServerTimestamp", "query", "queryAll",
    "queryMore", "retrieve", "create", "update", "upsert", "delete", "undelete",
    "search", "describeGlobal", "describeSObject", "describeSObjects",
])

APIS = {
    "urn:partner.soap.sforce.com": ("Partner", "urn:sobject.partner.soap.sforce.com"),
    "urn:enterprise.soap.sforce.com": ("Enterprise", "urn:sobject.enterprise.soap.sforce.com"),
}

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns="{tns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="{ens}">'
    "{header}<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
)

LIMIT_INFO = (
    "<soapenv:Header><LimitInfoHeader><limitInfo><current>7</current>"
    "<limit>100000</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader></soapenv:Header>"
)

PARTNER_QUERY = (
    '<queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/>'
    '<records xsi:type="sf:sObject"><sf:type>Account</sf:type><sf:Id>001xx0000000001AAA</sf:Id>'
    "<sf:Id>001xx0000000001AAA</sf:Id><sf:Name>Edge Communications</sf:Name></records>"
    "<size>1</size></result></queryResponse>"
)

ENTERPRISE_QUERY = (
    '<queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/>'
    '<records xsi:type="sf:Account"><sf:Id>001xx0000000001AAA</sf:Id>'
    "<sf:Name>Edge Communications</sf:Name></records>"
    "<size>1</size></result></queryResponse>"
)

FAULT = (
    "<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode>"
    "<faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: "
    "Illegal Session</faultstring><detail>"
    '<sf:UnexpectedErrorFault xmlns:sf="{fns}" xsi:type="sf:UnexpectedErrorFault">'
    "<sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode><sf:exceptionMessage>Invalid Session ID "
    "found in SessionHeader: Illegal Session</sf:exceptionMessage></sf:UnexpectedErrorFault>"
    "</detail></soapenv:Fault>"
)


class CannedTransport(zeep.Transport):
    """Answers every call with the next canned reply and keeps the requests."""

    def __init__(self):
        super().__init__()
        self.replies = []
        self.sent = []

    def post_xml(self, address, envelope, headers):
        self.sent.append(etree.tostring(envelope))
        status, body = self.replies.pop(0)
        response = requests.Response()
        response.status_code = status
        response._content = body.encode("utf-8")
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.encoding = "utf-8"
        response.url = address
        return response


class Problem(Exception):
    pass


def load(wsdl, transport):
    """Builds the client, failing on any warning zeep logs or raises."""
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                records.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("zeep")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client = zeep.Client(wsdl, transport=transport)
    finally:
        logger.removeHandler(handler)
    records += ["%s: %s" % (w.category.__name__, w.message) for w in caught]
    if records:
        raise Problem("zeep warned while loading the WSDL:\n  " + "\n  ".join(records))
    return client


def check(wsdl):
    transport = CannedTransport()
    client = load(wsdl, transport)
    tns = next(iter(client.wsdl._definitions))[0]
    if tns not in APIS:
        raise Problem("target namespace %r is neither Partner's nor Enterprise's" % tns)
    api, ens = APIS[tns]
    fns = tns.replace("urn:", "urn:fault.", 1)

    service = client.wsdl.services.get("SforceService")
    if service is None:
        raise Problem("no service SforceService")
    port = service.ports.get("Soap")
    if port is None:
        raise Problem("service SforceService has no port Soap")
    ops = sorted(port.binding._operations)
    print("%s WSDL %s" % (api, wsdl))
    print("  service SforceService, port Soap at %s" % port.binding_options["address"])
    print("  %d operations: %s" % (len(ops), " ".join(ops)))
    if ops != OPERATIONS:
        missing = sorted(set(OPERATIONS) - set(ops))
        extra = sorted(set(ops) - set(OPERATIONS))
        raise Problem("operations differ: missing %s, unexpected %s" % (missing, extra))

    # login: no session header, and its response has no LimitInfoHeader.
    login = client.create_message(client.service, "login", username="u@example.com", password="pw")
    if login.find(".//{%s}login/{%s}username" % (tns, tns)) is None:
        raise Problem("zeep's login request has no username: %s" % etree.tostring(login))

    session = client.get_element("{%s}SessionHeader" % tns)(sessionId="00Dxx!SESSION")
    options = client.get_element("{%s}QueryOptions" % tns)(batchSize=200)
    reply = ENTERPRISE_QUERY if api == "Enterprise" else PARTNER_QUERY
    transport.replies.append((200, ENVELOPE.format(tns=tns, ens=ens, header=LIMIT_INFO, body=reply)))
    answer = client.service.query(queryString="SELECT Id, Name FROM Account", _soapheaders=[session, options])
    sent = etree.fromstring(transport.sent[-1])
    if sent.find(".//{%s}SessionHeader/{%s}sessionId" % (tns, tns)) is None:
        raise Problem("zeep's query request has no SessionHeader")
    result = answer.body.result
    limit = answer.header.LimitInfoHeader.limitInfo[0]
    if result.size != 1 or len(result.records) != 1 or limit.current != 7:
        raise Problem("queryResponse read as %r" % answer)
    record = result.records[0]
    if api == "Enterprise":
        if type(record).__name__ != "Account" or record.Name != "Edge Communications" or record.Id != "001xx0000000001AAA":
            raise Problem("Enterprise record read as %r" % record)
    else:
        fields = {etree.QName(e).localname: e.text for e in (record._value_1 or [])}
        if record.type != "Account" or record.Id != "001xx0000000001AAA" or fields.get("Name") != "Edge Communications":
            raise Problem("Partner record read as %r (any: %r)" % (record, fields))
    print("  query: request with SessionHeader, QueryOptions; reply read (%s, LimitInfoHeader %d/%d)"
          % (type(record).__name__ if api == "Enterprise" else "sObject type " + record.type, limit.current, limit.limit))

    transport.replies.append((500, ENVELOPE.format(tns=tns, ens=ens, header="", body=FAULT.format(fns=fns))))
    try:
        client.service.getUserInfo(_soapheaders=[session])
    except zeep.exceptions.Fault as fault:
        if "INVALID_SESSION_ID" not in fault.message:
            raise Problem("fault read as %r" % fault.message)
        print("  fault: %s" % fault.message)
    else:
        raise Problem("zeep did not raise the SOAP fault")


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = False
    for wsdl in argv[1:]:
        try:
            check(wsdl)
        except Problem as exc:
            print("FAIL %s: %s" % (wsdl, exc), file=sys.stderr)
            failed = True
        except Exception as exc:  # zeep's own errors: report them as they are
            print("FAIL %s: zeep: %s: %s" % (wsdl, type(exc).__name__, exc), file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
