package org

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// AppendJavaDouble writes a finite x as Java's Double.toString does, which
// is how Salesforce writes doubles, currency and percent values in REST JSON
// and in SOAP (xsd:double): at least one digit after the point (45000.0), and
// scientific notation outside [10^-3, 10^7) (1.39E8, 1.0E-4). Knowledge
// article 000221617 notes that both APIs switch to E notation at eight
// integer digits. Callers decide what NaN and infinities become.
func AppendJavaDouble(b []byte, x float64) []byte {
	if x == 0 {
		if math.Signbit(x) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	abs := math.Abs(x)
	if abs >= 1e-3 && abs < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
		if bytes.IndexByte(b[start:], '.') < 0 {
			b = append(b, ".0"...)
		}
		return b
	}
	s := strconv.FormatFloat(x, 'E', -1, 64) // 1.39E+08
	mant, exp, _ := strings.Cut(s, "E")
	b = append(b, mant...)
	if !strings.Contains(mant, ".") {
		b = append(b, ".0"...)
	}
	e, _ := strconv.Atoi(exp)
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(e), 10)
}
