<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>true</custom>
    <fieldPermissions>
        <editable>false</editable>
        <field>Event.Booking_Ref__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <loginHours>
        <mondayEnd>1080</mondayEnd>
        <mondayStart>480</mondayStart>
    </loginHours>
    <loginIpRanges>
        <description>The booking service</description>
        <endAddress>203.0.113.20</endAddress>
        <startAddress>203.0.113.10</startAddress>
    </loginIpRanges>
    <userLicense>Salesforce</userLicense>
</Profile>
