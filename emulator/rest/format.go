package rest

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sfemu/sfemu/emulator/org"
)

// Salesforce's REST JSON formats (Jackson on Java): datetimes with
// milliseconds and a +0000 offset, dates as yyyy-MM-dd, doubles as Java's
// Double.toString (45000.0, 1.39E8), integers without a point.
const restDateTime = "2006-01-02T15:04:05.000-0700"

// appendValue appends v, a value of field f, as Salesforce writes it.
func appendValue(b []byte, f *org.Field, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		if f != nil && f.Type == org.TypeInt {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return appendJavaDouble(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case *org.Address:
		// {"city":…,"country":…,"geocodeAccuracy":…,"latitude":…,
		// "longitude":…,"postalCode":…,"state":…,"street":…}
		for i, k := range org.AddressKeys {
			sep := byte(',')
			if i == 0 {
				sep = '{'
			}
			b = append(append(append(b, sep, '"'), k...), '"', ':')
			b = appendValue(b, nil, x.Values[i])
		}
		return append(b, '}')
	case time.Time:
		if f != nil && f.Type == org.TypeDate {
			return append(append(append(b, '"'), x.UTC().Format(time.DateOnly)...), '"')
		}
		b = append(b, '"')
		b = x.UTC().AppendFormat(b, restDateTime)
		return append(b, '"')
	}
	return appendString(b, "")
}

// appendJavaDouble writes x as Salesforce's JSON does (org.AppendJavaDouble);
// NaN and infinities, which no field can hold, as null.
func appendJavaDouble(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	return org.AppendJavaDouble(b, x)
}

// appendString quotes s for JSON.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
