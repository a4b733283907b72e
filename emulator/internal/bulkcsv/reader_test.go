package bulkcsv

import (
	"errors"
	"io"
	"reflect"
	"testing"
)

// TestReaderLines: Line is where each record starts, a quoted newline
// and skipped empty lines counted, so callers can name a row's place.
func TestReaderLines(t *testing.T) {
	r := NewReader([]byte("a,b\n\"x\ny\",1\n\nz,2\n"), ',', false)
	var got [][]any
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, []any{r.Line(), append([]string(nil), rec...)})
	}
	want := [][]any{{1, []string{"a", "b"}}, {2, []string{"x\ny", "1"}}, {5, []string{"z", "2"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	r = NewReader([]byte("a\n\"open\n"), ',', false)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	var ce *Error
	if !errors.As(err, &ce) || ce.Line != 2 {
		t.Errorf("unbalanced quote: %v, want an *Error at line 2", err)
	}
}

// FuzzReader: whatever the bytes, the reader ends (EOF or an *Error), never
// panics, and returns no more field bytes than it was given.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\"\"y\",z\r\n", "\"open", "a\r\nb\n", "\xef\xbb\xbf,,\n\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, crlf bool) {
		r := NewReader(data, ',', crlf)
		total := 0
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more records than bytes in %q", data)
			}
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) || ce.Line < 1 {
					t.Fatalf("error %T %v", err, err)
				}
				return
			}
			for _, f := range rec {
				total += len(f)
			}
		}
		if total > len(data) {
			t.Fatalf("read %d bytes of fields from %d bytes", total, len(data))
		}
	})
}
