package outbound

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// noopReceiver acks everything, reading each body whole.
func noopReceiver() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, ackBody)
	}))
}

// BenchmarkDispatch delivers notifications to a local no-op receiver,
// one per message and batched, next to a bare net/http POST loop at the
// same concurrency: the floor. It reports notifications/s (posts/s for
// the bare loop).
func BenchmarkDispatch(b *testing.B) {
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("BarePOST/senders=%d", conc), func(b *testing.B) { benchBarePOST(b, conc) })
		b.Run(fmt.Sprintf("Unbatched/senders=%d", conc), func(b *testing.B) { benchDispatch(b, conc, 1) })
		b.Run(fmt.Sprintf("Batched/senders=%d", conc), func(b *testing.B) { benchDispatch(b, conc, 100) })
	}
}

func benchBarePOST(b *testing.B, conc int) {
	rcv := noopReceiver()
	defer rcv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	body := bytes.Repeat([]byte("x"), 1200) // about one notification's envelope
	b.ResetTimer()
	var wg sync.WaitGroup
	work := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				resp, err := client.Post(rcv.URL, "text/xml; charset=UTF-8", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

func benchDispatch(b *testing.B, conc, batch int) {
	rcv := noopReceiver()
	defer rcv.Close()
	clk := clock.Real{}
	store, err := org.NewStore(clk, org.Source{Name: "bench.yaml", Data: []byte(`
org: {name: Bench}
users: [{username: s@bench.example, profile: Standard User}]
records:
  Account: [{Name: Edge Communications, Industry: Energy, AnnualRevenue: 139000000, Phone: (512) 757-6000}]
outbound_messages:
  - {name: M, object: Account, fields: [Name, Industry, AnnualRevenue, Phone], endpoint_url: "` + rcv.URL + `", user_to_send_as: s@bench.example}
`)})
	if err != nil {
		b.Fatal(err)
	}
	o := store.Orgs()[0]
	var rec org.ID
	o.Data.Scan(o.Schema.Object("Account"), false, func(r *org.Record) bool { rec = r.ID; return false })
	d := New(Config{Store: store, Clock: clk, BaseURL: func() string { return "https://bench.example" },
		Settings: Settings{MaxBatch: batch, Concurrency: conc, BatchWindow: time.Millisecond, QueueLimit: max(b.N, 1)}})
	defer d.Close()
	ids := make([]org.ID, b.N)
	for i := range ids {
		ids[i] = rec
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := d.Send(o.OutboundMessage("M"), ids); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := d.Idle(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if q := d.Queue(false); len(q) != 0 {
		b.Fatalf("%d notifications not delivered", len(q))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}
