package bulk

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readAll(data string, delim byte, crlf bool) ([][]string, error) {
	r := newCSVReader([]byte(data), delim, crlf)
	var out [][]string
	for {
		rec, err := r.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append([]string(nil), rec...))
	}
}

func TestCSVReader(t *testing.T) {
	for _, tc := range []struct {
		in    string
		delim byte
		crlf  bool
		want  [][]string
		err   string
	}{
		{in: "a,b\n1,2\n", delim: ',', want: [][]string{{"a", "b"}, {"1", "2"}}},
		{in: "\xef\xbb\xbfa,b\n1,2", delim: ',', want: [][]string{{"a", "b"}, {"1", "2"}}},
		{in: "a|b\r\n\"x|y\"|\"say \"\"hi\"\"\"\r\n", delim: '|', crlf: true, want: [][]string{{"a", "b"}, {"x|y", `say "hi"`}}},
		{in: "a\tb\n\"multi\nline\"\t5\" screen\n\n", delim: '\t', want: [][]string{{"a", "b"}, {"multi\nline", `5" screen`}}},
		{in: "a,b\n,\n", delim: ',', want: [][]string{{"a", "b"}, {"", ""}}},
		{in: "a,\"\",c\n\"q\",x,\"y \"\"z\"\"\"", delim: ',', want: [][]string{{"a", "", "c"}, {"q", "x", `y "z"`}}},
		{in: "a\r\nb\n", delim: ',', err: "Current LineEnding setting is LF"},
		{in: "a\nb\n", delim: ',', crlf: true, err: "Current LineEnding setting is CRLF"},
		{in: "a\n\"open", delim: ',', err: "Unbalanced quotes"},
		{in: "a\n\"x\"y\n", delim: ',', err: "Unbalanced quotes"},
	} {
		got, err := readAll(tc.in, tc.delim, tc.crlf)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCSVWriterRoundTrips(t *testing.T) {
	w := newCSVWriter(';', true)
	w.raw("Name", true)
	w.raw("Weird;Header", false)
	w.endRow()
	w.field(`a "b"`, true)
	w.field("x\r\ny", false)
	w.endRow()
	got, err := readAll(string(w.b), ';', true)
	want := [][]string{{"Name", "Weird;Header"}, {`a "b"`, "x\r\ny"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %q %v", w.b, got, err)
	}
}

// FuzzBulkCSV: the reader never panics or loops, keeps to its input's size,
// and agrees with encoding/csv on input both accept; what the writer
// writes, the reader reads back unchanged.
func FuzzBulkCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\"\"y\",z\r\n", "a|\"b\nc\"|d", "\"open", "a\r\nb\n", "\xef\xbb\xbf,,\n\n", "`^;\t|"} {
		f.Add([]byte(s), uint8(0), false)
	}
	names := sortedKeys(delimiters)
	f.Fuzz(func(t *testing.T, data []byte, d uint8, crlf bool) {
		delim := delimiters[names[int(d)%len(names)]]
		r := newCSVReader(data, delim, crlf)
		var recs [][]string
		total := 0
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more records than bytes in %q", data)
			}
			rec, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var ce *csvError
				if !errors.As(err, &ce) {
					t.Fatalf("error of type %T", err)
				}
				return
			}
			for _, f := range rec {
				total += len(f)
			}
			recs = append(recs, append([]string(nil), rec...))
		}
		if total > len(data) {
			t.Fatalf("read %d bytes of fields from %d bytes", total, len(data))
		}
		// Write what was read and read it back.
		w := newCSVWriter(delim, crlf)
		for _, rec := range recs {
			for i, f := range rec {
				w.field(f, i == 0)
			}
			w.endRow()
		}
		back, err := readAll(string(w.b), delim, crlf)
		if err != nil {
			t.Fatalf("reading back %q: %v", w.b, err)
		}
		if len(back) != len(recs) {
			t.Fatalf("round trip: %q, then %q", recs, back)
		}
		for i := range back {
			if !reflect.DeepEqual(back[i], recs[i]) {
				t.Fatalf("round trip record %d: %q, then %q", i, recs[i], back[i])
			}
		}
		// Plain, quote-free LF input reads as encoding/csv reads it.
		if !crlf && delim == ',' && !bytes.ContainsAny(data, "\"\r") && bytes.HasSuffix(data, []byte("\n")) && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			cr := csv.NewReader(bytes.NewReader(data))
			cr.FieldsPerRecord = -1
			want, err := cr.ReadAll()
			if err == nil && !reflect.DeepEqual(want, recs) && !(len(want) == 0 && len(recs) == 0) {
				t.Fatalf("%q: %q, encoding/csv %q", data, recs, want)
			}
		}
	})
}

// FuzzBulkIngest: any upload, for any operation, processes without a
// panic, and every record it reads is processed or failed.
func FuzzBulkIngest(f *testing.F) {
	f.Add([]byte("Name,Industry\nA,B\n"), uint8(0))
	f.Add([]byte("Id\n001xx000000000AAAA\n"), uint8(1))
	f.Add([]byte("External_Key__c,Name\nDUP,x\n,y\n"), uint8(2))
	f.Add([]byte("Name,AnnualRevenue\n\"x\",abc\n#N/A,#N/A\n"), uint8(3))
	e := newEnv(f, Config{})
	ops := []string{"insert", "update", "upsert", "delete", "hardDelete"}
	f.Fuzz(func(t *testing.T, data []byte, op uint8) {
		j := &job{kind: kindIngest, org: e.acme, user: e.acme.Users[0], object: "Account", operation: ops[int(op)%len(ops)],
			externalID: "External_Key__c", delimName: "COMMA", delim: ',', lineEnding: "LF", data: data, state: stateInProgress}
		msg := e.svc.ingest(t.Context(), j)
		if msg == "" && j.processed < j.failed {
			t.Fatalf("processed %d, failed %d", j.processed, j.failed)
		}
	})
}
