package rest

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkComposite25 is one /composite call of 25 subrequests over HTTP:
// a create, a read and a child create by reference, then 22 updates and
// reads of the new record through @{…} references.
func BenchmarkComposite25(b *testing.B) {
	e := newEnv(&testing.T{})
	const v = "/services/data/v66.0"
	subs := []string{
		`{"method":"POST","url":"` + v + `/sobjects/Account","referenceId":"acct","body":{"Name":"Bench"}}`,
		`{"method":"GET","url":"` + v + `/sobjects/Account/@{acct.id}?fields=Id,Name","referenceId":"read"}`,
		`{"method":"POST","url":"` + v + `/sobjects/Contact","referenceId":"ctc","body":{"LastName":"Bench","AccountId":"@{read.Id}"}}`,
	}
	for i := 0; len(subs) < 25; i++ {
		if i%2 == 0 {
			subs = append(subs, fmt.Sprintf(`{"method":"PATCH","url":"%s/sobjects/Account/@{acct.id}","referenceId":"u%d","body":{"Description":"step %d"}}`, v, i, i))
		} else {
			subs = append(subs, fmt.Sprintf(`{"method":"GET","url":"%s/sobjects/Contact/@{ctc.id}?fields=LastName,AccountId","referenceId":"r%d"}`, v, i))
		}
	}
	body := `{"allOrNone":true,"compositeRequest":[` + strings.Join(subs, ",") + `]}`
	e.t = &testing.T{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := e.do("POST", v+"/composite", body); got.status != 200 || strings.Contains(got.body, `"httpStatusCode":4`) {
			b.Fatalf("%d %.600s", got.status, got.body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(b.N*25)/b.Elapsed().Seconds(), "subrequests/s")
}
