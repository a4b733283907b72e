package soql

import "github.com/sfemu/sfemu/emulator/org"

// compoundOnly refuses a compound address field (BillingAddress) where only
// a component can go: Salesforce selects compound fields but neither
// filters, sorts nor groups by them (describe: filterable, sortable and
// groupable false). The texts are those Salesforce gives fields describe
// marks so; that it words compound fields the same is UNKNOWN.
func (b *binder) compoundOnly(bp *boundPath, verb string, pos int) *Error {
	if bp == nil || bp.field == nil || bp.field.Type != org.TypeAddress {
		return nil
	}
	return b.errAt(CodeInvalidField, pos, "field '"+bp.field.Name+"' can not be "+verb+" in query call")
}
