<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>true</custom>
    <fieldPermissions>
        <editable>false</editable>
        <field>Event.Booking_Ref__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <loginHours>
        <mondayEnd>1440</mondayEnd>
        <mondayStart>30</mondayStart>
        <tuesdayEnd>1440</tuesdayEnd>
        <tuesdayStart>0</tuesdayStart>
        <wednesdayEnd>1440</wednesdayEnd>
        <wednesdayStart>0</wednesdayStart>
        <thursdayEnd>1440</thursdayEnd>
        <thursdayStart>0</thursdayStart>
        <fridayEnd>1440</fridayEnd>
        <fridayStart>0</fridayStart>
        <saturdayEnd>1440</saturdayEnd>
        <saturdayStart>0</saturdayStart>
        <sundayEnd>1440</sundayEnd>
        <sundayStart>0</sundayStart>
    </loginHours>
    <loginIpRanges>
        <description>The booking service</description>
        <endAddress>203.0.113.20</endAddress>
        <startAddress>203.0.113.10</startAddress>
    </loginIpRanges>
    <userLicense>Salesforce</userLicense>
</Profile>
