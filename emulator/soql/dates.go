package soql

import "time"

// dateLiterals maps each relative date literal to whether it takes ":n".
var dateLiterals = map[string]bool{
	"YESTERDAY": false, "TODAY": false, "TOMORROW": false,
	"LAST_WEEK": false, "THIS_WEEK": false, "NEXT_WEEK": false,
	"LAST_MONTH": false, "THIS_MONTH": false, "NEXT_MONTH": false,
	"LAST_90_DAYS": false, "NEXT_90_DAYS": false,
	"THIS_QUARTER": false, "LAST_QUARTER": false, "NEXT_QUARTER": false,
	"THIS_YEAR": false, "LAST_YEAR": false, "NEXT_YEAR": false,
	"THIS_FISCAL_QUARTER": false, "LAST_FISCAL_QUARTER": false, "NEXT_FISCAL_QUARTER": false,
	"THIS_FISCAL_YEAR": false, "LAST_FISCAL_YEAR": false, "NEXT_FISCAL_YEAR": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "LAST_N_WEEKS": true, "NEXT_N_WEEKS": true,
	"LAST_N_MONTHS": true, "NEXT_N_MONTHS": true, "LAST_N_QUARTERS": true, "NEXT_N_QUARTERS": true,
	"LAST_N_YEARS": true, "NEXT_N_YEARS": true,
	"N_DAYS_AGO": true, "N_WEEKS_AGO": true, "N_MONTHS_AGO": true, "N_QUARTERS_AGO": true, "N_YEARS_AGO": true,
	"LAST_N_FISCAL_QUARTERS": true, "NEXT_N_FISCAL_QUARTERS": true, "LAST_N_FISCAL_YEARS": true,
	"NEXT_N_FISCAL_YEARS": true, "N_FISCAL_QUARTERS_AGO": true, "N_FISCAL_YEARS_AGO": true,
}

// fiscalAliases: the org's fiscal year is the calendar year (Salesforce's
// default, starting in January), so fiscal literals are calendar ones.
var fiscalAliases = map[string]string{
	"THIS_FISCAL_QUARTER": "THIS_QUARTER", "LAST_FISCAL_QUARTER": "LAST_QUARTER", "NEXT_FISCAL_QUARTER": "NEXT_QUARTER",
	"THIS_FISCAL_YEAR": "THIS_YEAR", "LAST_FISCAL_YEAR": "LAST_YEAR", "NEXT_FISCAL_YEAR": "NEXT_YEAR",
	"LAST_N_FISCAL_QUARTERS": "LAST_N_QUARTERS", "NEXT_N_FISCAL_QUARTERS": "NEXT_N_QUARTERS",
	"LAST_N_FISCAL_YEARS": "LAST_N_YEARS", "NEXT_N_FISCAL_YEARS": "NEXT_N_YEARS",
	"N_FISCAL_QUARTERS_AGO": "N_QUARTERS_AGO", "N_FISCAL_YEARS_AGO": "N_YEARS_AGO",
}

// dateRange is the half-open interval [From, To) of local calendar days a
// relative date literal covers, as midnights in the org's time zone.
type dateRange struct{ From, To time.Time }

// relativeRange resolves a literal on now in loc. Weeks start on Sunday
// (en_US locale); quarters are calendar quarters.
func relativeRange(name string, n int, now time.Time, loc *time.Location) dateRange {
	if a, ok := fiscalAliases[name]; ok {
		name = a
	}
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	y, m, d := local.Date()
	day := func(off int) time.Time { return time.Date(y, m, d+off, 0, 0, 0, 0, loc) }
	weekStart := d - int(local.Weekday())
	week := func(off int) time.Time { return time.Date(y, m, weekStart+7*off, 0, 0, 0, 0, loc) }
	month := func(off int) time.Time { return time.Date(y, m+time.Month(off), 1, 0, 0, 0, 0, loc) }
	qStart := (int(m)-1)/3*3 + 1
	quarter := func(off int) time.Time { return time.Date(y, time.Month(qStart+3*off), 1, 0, 0, 0, 0, loc) }
	year := func(off int) time.Time { return time.Date(y+off, 1, 1, 0, 0, 0, 0, loc) }
	switch name {
	case "YESTERDAY":
		return dateRange{day(-1), day(0)}
	case "TODAY":
		return dateRange{day(0), day(1)}
	case "TOMORROW":
		return dateRange{day(1), day(2)}
	case "LAST_WEEK":
		return dateRange{week(-1), week(0)}
	case "THIS_WEEK":
		return dateRange{week(0), week(1)}
	case "NEXT_WEEK":
		return dateRange{week(1), week(2)}
	case "LAST_MONTH":
		return dateRange{month(-1), month(0)}
	case "THIS_MONTH":
		return dateRange{month(0), month(1)}
	case "NEXT_MONTH":
		return dateRange{month(1), month(2)}
	case "LAST_90_DAYS":
		return dateRange{day(-90), day(1)}
	case "NEXT_90_DAYS":
		return dateRange{day(1), day(91)}
	case "THIS_QUARTER":
		return dateRange{quarter(0), quarter(1)}
	case "LAST_QUARTER":
		return dateRange{quarter(-1), quarter(0)}
	case "NEXT_QUARTER":
		return dateRange{quarter(1), quarter(2)}
	case "THIS_YEAR":
		return dateRange{year(0), year(1)}
	case "LAST_YEAR":
		return dateRange{year(-1), year(0)}
	case "NEXT_YEAR":
		return dateRange{year(1), year(2)}
	case "LAST_N_DAYS": // today and the n days before it
		return dateRange{day(-n), day(1)}
	case "NEXT_N_DAYS": // the n days after today
		return dateRange{day(1), day(1 + n)}
	case "LAST_N_WEEKS":
		return dateRange{week(-n), week(0)}
	case "NEXT_N_WEEKS":
		return dateRange{week(1), week(1 + n)}
	case "LAST_N_MONTHS":
		return dateRange{month(-n), month(0)}
	case "NEXT_N_MONTHS":
		return dateRange{month(1), month(1 + n)}
	case "LAST_N_QUARTERS":
		return dateRange{quarter(-n), quarter(0)}
	case "NEXT_N_QUARTERS":
		return dateRange{quarter(1), quarter(1 + n)}
	case "LAST_N_YEARS":
		return dateRange{year(-n), year(0)}
	case "NEXT_N_YEARS":
		return dateRange{year(1), year(1 + n)}
	case "N_DAYS_AGO":
		return dateRange{day(-n), day(-n + 1)}
	case "N_WEEKS_AGO":
		return dateRange{week(-n), week(-n + 1)}
	case "N_MONTHS_AGO":
		return dateRange{month(-n), month(-n + 1)}
	case "N_QUARTERS_AGO":
		return dateRange{quarter(-n), quarter(-n + 1)}
	case "N_YEARS_AGO":
		return dateRange{year(-n), year(-n + 1)}
	}
	return dateRange{}
}

// asDates turns a local-midnight range into the UTC-midnight form date
// fields are stored in.
func (r dateRange) asDates() dateRange {
	conv := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return dateRange{conv(r.From), conv(r.To)}
}
