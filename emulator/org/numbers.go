package org

import (
	"fmt"
	"math"
)

// IntFractions is what an int field (xsd:int, such as NumberOfEmployees)
// does with a number that has a fraction, such as 12.5. Salesforce's
// answer is UNKNOWN (not documented); the default refuses it with the
// JSON_PARSER_ERROR its REST deserializer gives for a value of the wrong
// kind, so a client that sends fractions learns it instead of losing them.
type IntFractions string

const (
	// IntFractionsReject refuses 12.5 for an int field (the default).
	IntFractionsReject IntFractions = "reject"
	// IntFractionsTruncate stores 12 (what sfemu did before it was a setting).
	IntFractionsTruncate IntFractions = "truncate"
)

// maxInt is the range of an int field: Salesforce's SOAP type for it is
// xsd:int, a 32-bit integer, whatever digits its precision allows.
const maxInt = math.MaxInt32

// checkNumber is the value a number field stores for x, or Salesforce's
// error: an int field takes whole numbers that fit its digits (and 32
// bits); a double, currency or percent field is rounded half up to its
// scale — "Salesforce rounds numbers with more decimal places than the
// field's scale" — and refused with NUMBER_OUTSIDE_VALID_RANGE when the
// digits left of the point exceed precision − scale. The message is the
// one Salesforce gives, the value written as Java writes a double
// ("Normalized Score: value outside of valid range on numeric field:
// 100.0", quoted in a Salesforce developer forum thread on Bulk API
// upserts).
func (d *Data) checkNumber(f *Field, x float64, raw any) (float64, *DMLError) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, conversionError(f, "double", raw)
	}
	if f.Type == TypeInt {
		if x != math.Trunc(x) {
			if d.org == nil || d.org.Settings.IntFractions != IntFractionsTruncate {
				return 0, conversionError(f, "int", raw)
			}
			x = math.Trunc(x)
		}
		limit := float64(maxInt)
		if f.Precision > 0 && f.Precision < 10 {
			limit = math.Pow10(f.Precision) - 1
		}
		if math.Abs(x) > limit {
			return 0, outsideRange(f, x)
		}
		return x + 0, nil // + 0: no negative zero
	}
	if f.Scale > 0 || f.Precision > 0 {
		p := math.Pow10(f.Scale)
		// math.Round takes halves away from zero, as Java's ROUND_HALF_UP.
		if r := math.Round(x*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
			x = r
		}
	}
	if f.Precision > 0 && math.Abs(x) >= math.Pow10(f.Precision-f.Scale) {
		return 0, outsideRange(f, x)
	}
	return x + 0, nil
}

func outsideRange(f *Field, x float64) *DMLError {
	return &DMLError{StatusCode: "NUMBER_OUTSIDE_VALID_RANGE", Fields: []string{f.Name},
		Message: fmt.Sprintf("%s: value outside of valid range on numeric field: %s", f.Label, string(AppendJavaDouble(nil, x)))}
}
