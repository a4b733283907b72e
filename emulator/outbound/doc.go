// Package outbound is Salesforce's outbound-message sender: definitions are
// the org's; this package encodes the SOAP envelope, judges the receiver's
// answer (Ack rules), generates the WSDL, and (dispatcher.go) queues, batches
// and retries deliveries.
//
// What follows Salesforce byte for byte, and what is sfemu's best reading
// where Salesforce is not documented:
//
//   - The envelope (envelope.go) has the documented shape: XML declaration,
//     the soapenv/xsd/xsi namespaces in that order, no Header, one-space
//     indentation, OrganizationId, ActionId, SessionId, EnterpriseUrl,
//     PartnerUrl, then one Notification per record, the sObject listing Id
//     first and the selected fields alphabetically, null fields left out.
//     Numbers are written as Java's Double.toString writes them (45000.0,
//     1.2345678E7: Salesforce knowledge article 000221617 says the SOAP API
//     switches to scientific notation from eight integer digits); text is
//     escaped as the JDK's XML serializer escapes element content (&, <, >
//     and carriage return; quotes are left alone). The document ends with a
//     newline, as an indenting JDK serializer ends it: an inference, no
//     capture shows the last byte.
//   - A record deleted before sending is a notification "with no data"
//     (Salesforce's words): sfemu sends the notification's Id and an sObject
//     holding only sf:Id, the one shape that still validates against the
//     definition's WSDL (sObject and its Id are required there).
//   - The receiver's answer (ack.go) is a success only on a 2xx status and a
//     SOAP 1.1 envelope whose notificationsResponse/Ack, matched by
//     namespace, is xsd:boolean true. Salesforce's own Delivery Failure
//     Reasons are used where they are known ("SOAP response was a nack" and
//     the Xerces SAXParseException texts); the others are sfemu's wording.
//   - The WSDL (wsdl.go) follows the one Salesforce generates for a
//     definition ("Click for WSDL"), minus its generation timestamp, so that
//     it is the same on every run.
package outbound
