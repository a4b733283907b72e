package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDedupe(t *testing.T) {
	ctx := context.Background()
	claim := func(d *Dedupe, id string) bool {
		t.Helper()
		dup, err := d.Claim(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return dup
	}
	tests := []struct {
		name          string
		limit         int
		story         func(d *Dedupe)
		wantDuplicate map[string]bool
		wantProcessed []string
	}{
		{
			name:  "a processed notification is a duplicate the second time",
			limit: 10,
			story: func(d *Dedupe) {
				claim(d, "04l1")
				d.Finish("04l1", true)
			},
			wantDuplicate: map[string]bool{"04l1": true, "04l2": false},
			wantProcessed: []string{"04l1"},
		},
		{
			name:  "a failed notification is processed again when Salesforce retries it",
			limit: 10,
			story: func(d *Dedupe) {
				claim(d, "04l1")
				d.Finish("04l1", false)
			},
			wantDuplicate: map[string]bool{"04l1": false},
			wantProcessed: []string{},
		},
		{
			name:  "past the limit the oldest ids are forgotten",
			limit: 3,
			story: func(d *Dedupe) {
				for i := 1; i <= 5; i++ {
					id := fmt.Sprintf("04l%d", i)
					claim(d, id)
					d.Finish(id, true)
				}
			},
			wantDuplicate: map[string]bool{"04l1": false, "04l2": false, "04l3": true, "04l4": true, "04l5": true},
			wantProcessed: []string{"04l3", "04l4", "04l5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDedupe(tt.limit)
			tt.story(d)
			if diff := cmp.Diff(tt.wantProcessed, d.Processed()); diff != "" {
				t.Errorf("processed (-want +got):\n%s", diff)
			}
			for id, want := range tt.wantDuplicate {
				if got := claim(d, id); got != want {
					t.Errorf("%s duplicate = %v; want %v", id, got, want)
				}
				if !want {
					d.Finish(id, false)
				}
			}
		})
	}
}

// TestDedupeConcurrentDeliveriesProcessOnce: a duplicate delivered while the
// first is still being processed waits for it and is then a duplicate.
func TestDedupeConcurrentDeliveriesProcessOnce(t *testing.T) {
	d := NewDedupe(100)
	var processed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dup, err := d.Claim(context.Background(), "04lSAME")
			if err != nil || dup {
				return
			}
			processed.Add(1)
			time.Sleep(time.Millisecond)
			d.Finish("04lSAME", true)
		}()
	}
	wg.Wait()
	if n := processed.Load(); n != 1 {
		t.Errorf("processed %d times; want once", n)
	}
}

func TestDedupeWaitEndsWithTheRequest(t *testing.T) {
	d := NewDedupe(10)
	if dup, _ := d.Claim(context.Background(), "04l1"); dup {
		t.Fatal("first claim is a duplicate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := d.Claim(ctx, "04l1"); err == nil {
		t.Error("a claim waiting on a stuck one returned without error when its request ended")
	}
}
