package org

import "strings"

// fieldSpec builds standard field definitions compactly.
type fieldSpec struct{ f *Field }

func fld(name string, t FieldType) fieldSpec {
	f := &Field{Name: name, Label: labelFor(name), Type: t, Nillable: true, Createable: true, Updateable: true}
	switch t {
	case TypeString, TypeEmail, TypePhone, TypeURL, TypePicklist, TypeCombobox:
		f.Length = 255
		if t == TypePhone {
			f.Length = 40
		}
		if t == TypeEmail {
			f.Length = 80
		}
	case TypeMultiPicklist:
		f.Length = 4099
	case TypeTextArea:
		f.Length = 32000
	case TypeCurrency:
		f.Precision, f.Scale = 18, 2
	case TypePercent:
		f.Precision, f.Scale = 3, 0
	case TypeInt:
		f.Precision = 8
	case TypeDouble:
		f.Precision, f.Scale = 18, 0
	case TypeBoolean:
		f.Nillable, f.DefaultedOnCreate, f.Default = false, true, false
	case TypeID, TypeReference:
		f.Length = 18
	}
	return fieldSpec{f}
}

func (s fieldSpec) required() fieldSpec {
	s.f.Nillable, s.f.Required = false, true
	return s
}

func (s fieldSpec) readOnly() fieldSpec {
	s.f.Createable, s.f.Updateable = false, false
	return s
}

func (s fieldSpec) length(n int) fieldSpec { s.f.Length = n; return s }

func (s fieldSpec) label(l string) fieldSpec { s.f.Label = l; return s }

func (s fieldSpec) indexed() fieldSpec { s.f.Indexed = true; return s }

// unindexed leaves a lookup without an index: audit lookups every record
// shares are not worth the memory.
func (s fieldSpec) unindexed() fieldSpec { s.f.Indexed = false; return s }

// defaultValue makes the field defaulted on create (and so not required).
func (s fieldSpec) defaultValue(v any) fieldSpec {
	s.f.Default, s.f.DefaultedOnCreate, s.f.Required = v, true, false
	if pv, ok := v.(string); ok {
		for i := range s.f.Picklist {
			s.f.Picklist[i].DefaultValue = s.f.Picklist[i].Value == pv
		}
	}
	return s
}

func (s fieldSpec) values(vals ...string) fieldSpec {
	for _, v := range vals {
		s.f.Picklist = append(s.f.Picklist, PicklistValue{Value: v, Label: v, Active: true})
	}
	return s
}

func (s fieldSpec) ref(relationship string, to ...string) fieldSpec {
	s.f.ReferenceTo, s.f.RelationshipName, s.f.Indexed = to, relationship, true
	return s
}

func labelFor(name string) string {
	name = strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(name, "Id"), "__c"), "_", " ")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && name[i-1] != ' ' && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Id"
	}
	return b.String()
}

type objectSpec struct {
	name, label, plural, prefix string
	owned, readOnly             bool
	fields                      []fieldSpec
}

// systemFields are the audit fields every record has, maintained by the emulator.
func systemFields(owned bool) []fieldSpec {
	out := []fieldSpec{
		fld("Id", TypeID).readOnly().indexed().label("Record ID"),
		fld("IsDeleted", TypeBoolean).readOnly().label("Deleted"),
		fld("CreatedDate", TypeDateTime).readOnly().label("Created Date"),
		fld("CreatedById", TypeReference).readOnly().ref("CreatedBy", "User").unindexed().label("Created By ID"),
		fld("LastModifiedDate", TypeDateTime).readOnly().label("Last Modified Date"),
		fld("LastModifiedById", TypeReference).readOnly().ref("LastModifiedBy", "User").unindexed().label("Last Modified By ID"),
		fld("SystemModstamp", TypeDateTime).readOnly().label("System Modstamp"),
	}
	for _, f := range out {
		f.f.Nillable = false
		f.f.DefaultedOnCreate = true
	}
	if owned {
		out = append(out, fld("OwnerId", TypeReference).ref("Owner", "User").defaultValue(nil).label("Owner ID"))
	}
	return out
}

var (
	industries  = []string{"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation", "Utilities", "Other"}
	leadSources = []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	ratings     = []string{"Hot", "Warm", "Cold"}
)

func address(prefix string) []fieldSpec {
	return []fieldSpec{
		fld(prefix+"Street", TypeTextArea).length(255), fld(prefix+"City", TypeString).length(40),
		fld(prefix+"State", TypeString).length(80), fld(prefix+"PostalCode", TypeString).length(20),
		fld(prefix+"Country", TypeString).length(80),
	}
}

// compoundName is a person's Name, built from FirstName and LastName.
func compoundName() fieldSpec {
	return fld("Name", TypeString).length(121).readOnly().label("Full Name")
}

func standardObjects() []objectSpec {
	return []objectSpec{
		{name: "Account", label: "Account", plural: "Accounts", prefix: PrefixAccount, owned: true, fields: concat(
			[]fieldSpec{
				fld("Name", TypeString).required().indexed().label("Account Name"),
				fld("Type", TypePicklist).values("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other").label("Account Type"),
				fld("ParentId", TypeReference).ref("Parent", "Account").label("Parent Account ID"),
				fld("AccountNumber", TypeString).length(40), fld("Site", TypeString).length(80),
				fld("Phone", TypePhone), fld("Fax", TypePhone), fld("Website", TypeURL),
				fld("Industry", TypePicklist).values(industries...), fld("AnnualRevenue", TypeCurrency),
				fld("NumberOfEmployees", TypeInt).label("Employees"), fld("Rating", TypePicklist).values(ratings...).label("Account Rating"),
				fld("AccountSource", TypePicklist).values(leadSources...), fld("Description", TypeTextArea).label("Account Description"),
			}, address("Billing"), address("Shipping"))},
		{name: "Contact", label: "Contact", plural: "Contacts", prefix: PrefixContact, owned: true, fields: concat(
			[]fieldSpec{
				fld("AccountId", TypeReference).ref("Account", "Account").label("Account ID"),
				fld("LastName", TypeString).length(80).required(), fld("FirstName", TypeString).length(40),
				fld("Salutation", TypePicklist).values("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."), compoundName(),
				fld("Email", TypeEmail).indexed(), fld("Phone", TypePhone).label("Business Phone"), fld("MobilePhone", TypePhone),
				fld("Title", TypeString).length(128), fld("Department", TypeString).length(80), fld("Birthdate", TypeDate),
				fld("LeadSource", TypePicklist).values(leadSources...), fld("HasOptedOutOfEmail", TypeBoolean).label("Email Opt Out"),
				fld("DoNotCall", TypeBoolean), fld("Description", TypeTextArea).label("Contact Description"),
			}, address("Mailing"))},
		{name: "Lead", label: "Lead", plural: "Leads", prefix: PrefixLead, owned: true, fields: concat(
			[]fieldSpec{
				fld("LastName", TypeString).length(80).required(), fld("FirstName", TypeString).length(40),
				fld("Salutation", TypePicklist).values("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."), compoundName(),
				fld("Company", TypeString).required(), fld("Title", TypeString).length(128),
				fld("Email", TypeEmail).indexed(), fld("Phone", TypePhone), fld("MobilePhone", TypePhone), fld("Website", TypeURL),
				fld("Status", TypePicklist).values("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted").required().defaultValue("Open - Not Contacted").label("Lead Status"),
				fld("LeadSource", TypePicklist).values(leadSources...), fld("Industry", TypePicklist).values(industries...),
				fld("Rating", TypePicklist).values(ratings...), fld("AnnualRevenue", TypeCurrency), fld("NumberOfEmployees", TypeInt).label("Employees"),
				fld("Description", TypeTextArea), fld("IsConverted", TypeBoolean).readOnly().label("Converted"),
				fld("ConvertedAccountId", TypeReference).ref("ConvertedAccount", "Account").readOnly(),
				fld("ConvertedContactId", TypeReference).ref("ConvertedContact", "Contact").readOnly(),
			}, address(""))},
		{name: "Opportunity", label: "Opportunity", plural: "Opportunities", prefix: PrefixOpportunity, owned: true, fields: []fieldSpec{
			fld("Name", TypeString).length(120).required().indexed(), fld("AccountId", TypeReference).ref("Account", "Account").label("Account ID"),
			fld("StageName", TypePicklist).values("Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost").required().label("Stage"),
			fld("CloseDate", TypeDate).required(), fld("Amount", TypeCurrency), fld("Probability", TypePercent).label("Probability (%)"),
			fld("Type", TypePicklist).values("Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer").label("Opportunity Type"),
			fld("LeadSource", TypePicklist).values(leadSources...), fld("NextStep", TypeString).length(255),
			fld("IsClosed", TypeBoolean).readOnly().label("Closed"), fld("IsWon", TypeBoolean).readOnly().label("Won"),
			fld("Description", TypeTextArea),
		}},
		{name: "Case", label: "Case", plural: "Cases", prefix: PrefixCase, owned: true, fields: []fieldSpec{
			fld("CaseNumber", TypeString).length(30).readOnly().indexed().label("Case Number"),
			fld("AccountId", TypeReference).ref("Account", "Account").label("Account ID"),
			fld("ContactId", TypeReference).ref("Contact", "Contact").label("Contact ID"),
			fld("Subject", TypeString), fld("Description", TypeTextArea),
			fld("Status", TypePicklist).values("New", "Working", "Escalated", "Closed").defaultValue("New"),
			fld("Priority", TypePicklist).values("High", "Medium", "Low").defaultValue("Medium"),
			fld("Origin", TypePicklist).values("Phone", "Email", "Web").label("Case Origin"),
			fld("Type", TypePicklist).values("Mechanical", "Electrical", "Electronic", "Structural", "Other").label("Case Type"),
			fld("Reason", TypePicklist).values("Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other").label("Case Reason"),
			fld("IsClosed", TypeBoolean).readOnly().label("Closed"), fld("SuppliedEmail", TypeEmail).label("Web Email"),
		}},
		{name: "Task", label: "Task", plural: "Tasks", prefix: PrefixTask, owned: true, fields: []fieldSpec{
			fld("Subject", TypeCombobox).values("Call", "Send Letter", "Send Quote", "Other"),
			fld("WhoId", TypeReference).ref("Who", "Contact", "Lead").label("Name ID"),
			fld("WhatId", TypeReference).ref("What", "Account", "Opportunity", "Case").label("Related To ID"),
			fld("ActivityDate", TypeDate).label("Due Date Only"),
			fld("Status", TypePicklist).values("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred").required().defaultValue("Not Started"),
			fld("Priority", TypePicklist).values("High", "Normal", "Low").required().defaultValue("Normal"),
			fld("Description", TypeTextArea).label("Comments"), fld("IsClosed", TypeBoolean).readOnly().label("Closed"),
			fld("TaskSubtype", TypePicklist).values("Task", "Email", "List Email", "Cadence", "Call"),
			fld("CallDurationInSeconds", TypeInt).label("Call Duration"),
		}},
		{name: "Event", label: "Event", plural: "Events", prefix: PrefixEvent, owned: true, fields: []fieldSpec{
			fld("Subject", TypeCombobox).values("Call", "Email", "Meeting", "Send Letter/Quote", "Other"),
			fld("WhoId", TypeReference).ref("Who", "Contact", "Lead").label("Name ID"),
			fld("WhatId", TypeReference).ref("What", "Account", "Opportunity", "Case").label("Related To ID"),
			fld("StartDateTime", TypeDateTime).label("Start Date Time"), fld("EndDateTime", TypeDateTime).label("End Date Time"),
			fld("ActivityDateTime", TypeDateTime).label("Due Date Time"), fld("ActivityDate", TypeDate).label("Due Date Only"),
			fld("DurationInMinutes", TypeInt).label("Duration"), fld("IsAllDayEvent", TypeBoolean).label("All-Day Event"),
			fld("Location", TypeString), fld("Description", TypeTextArea),
			fld("ShowAs", TypePicklist).values("Busy", "OutOfOffice", "Free").defaultValue("Busy").label("Show Time As"),
		}},
		{name: "User", label: "User", plural: "Users", prefix: PrefixUser, readOnly: true, fields: []fieldSpec{
			fld("Username", TypeString).length(80).required().indexed(), fld("LastName", TypeString).length(80).required(),
			fld("FirstName", TypeString).length(40), compoundName(), fld("Email", TypeEmail).required(),
			fld("Alias", TypeString).length(8), fld("IsActive", TypeBoolean).label("Active"),
			fld("ProfileId", TypeID).label("Profile ID"), fld("UserType", TypePicklist).values("Standard").readOnly(),
			fld("TimeZoneSidKey", TypePicklist).label("Time Zone"),
		}},
		{name: "Organization", label: "Organization", plural: "Organizations", prefix: PrefixOrganization, readOnly: true, fields: []fieldSpec{
			fld("Name", TypeString).length(80).required(), fld("OrganizationType", TypePicklist).readOnly().label("Edition"),
			fld("IsSandbox", TypeBoolean).readOnly(), fld("InstanceName", TypeString).length(5).readOnly(),
			fld("TimeZoneSidKey", TypePicklist).label("Default Time Zone"), fld("NamespacePrefix", TypeString).length(15).readOnly(),
		}},
		{name: "LoginHistory", label: "Login History", plural: "Login History", prefix: PrefixLoginHistory, readOnly: true, fields: []fieldSpec{
			fld("Id", TypeID).readOnly().indexed().label("Login History ID"),
			fld("UserId", TypeReference).ref("", "User").readOnly().label("User ID"),
			fld("LoginTime", TypeDateTime).readOnly(), fld("LoginType", TypePicklist).readOnly(),
			fld("LoginUrl", TypeString).readOnly().label("Login URL"), fld("SourceIp", TypeString).length(39).readOnly().label("Source IP"),
			fld("Status", TypeString).length(128).readOnly(), fld("Application", TypeString).length(64).readOnly(),
			fld("ApiType", TypeString).length(64).readOnly(), fld("ApiVersion", TypeString).length(32).readOnly(),
			fld("Browser", TypeString).length(64).readOnly(), fld("Platform", TypeString).length(64).readOnly(),
		}},
	}
}

func concat(parts ...[]fieldSpec) []fieldSpec {
	var out []fieldSpec
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// newStandardSchema builds a fresh copy of the standard objects, so each
// org can add its own custom fields.
func newStandardSchema() *Schema {
	s := &Schema{objects: map[string]*Object{}, byPrefix: map[string]*Object{}}
	for _, spec := range standardObjects() {
		o := &Object{Name: spec.name, Label: spec.label, LabelPlural: spec.plural, KeyPrefix: spec.prefix,
			Createable: !spec.readOnly, Updateable: !spec.readOnly, Deletable: !spec.readOnly, Queryable: true, Searchable: !spec.readOnly,
			byName: map[string]*Field{}, byRel: map[string]*Field{}}
		var fields []fieldSpec
		if spec.name == "LoginHistory" {
			fields = spec.fields
		} else {
			fields = append(systemFields(spec.owned), spec.fields...)
		}
		for _, fs := range fields {
			o.addField(fs.f)
		}
		s.add(o)
	}
	s.link()
	return s
}
