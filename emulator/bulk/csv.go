package bulk

import (
	"errors"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/bulkcsv"
)

// Column delimiters and line endings a job may name.
var delimiters = map[string]byte{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

// csvError is CSV the job cannot be read past: the job fails with Message.
type csvError struct{ Message string }

func (e *csvError) Error() string { return e.Message }

// csvReader is the Bulk API's CSV reader (emulator/internal/bulkcsv), its
// errors said as a job's results say them.
type csvReader struct{ r *bulkcsv.Reader }

func newCSVReader(data []byte, delim byte, crlf bool) *csvReader {
	return &csvReader{bulkcsv.NewReader(data, delim, crlf)}
}

// next returns the next record, io.EOF after the last; the returned slice
// is reused by the next call.
func (r *csvReader) next() ([]string, error) {
	rec, err := r.r.Next()
	var ce *bulkcsv.Error
	if errors.As(err, &ce) {
		return nil, &csvError{"ClientInputError : " + ce.Msg}
	}
	return rec, err
}

// csvWriter writes Bulk API CSV: every value quoted (as Salesforce's result
// files are), header names as given.
type csvWriter struct {
	b     []byte
	delim byte
	eol   string
}

func newCSVWriter(delim byte, crlf bool) *csvWriter {
	w := &csvWriter{delim: delim, eol: "\n"}
	if crlf {
		w.eol = "\r\n"
	}
	return w
}

// field writes one value, quoted, with a delimiter before it unless first.
func (w *csvWriter) field(s string, first bool) {
	if !first {
		w.b = append(w.b, w.delim)
	}
	w.b = append(w.b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		w.b = append(w.b, s[:i+1]...)
		w.b = append(w.b, '"')
		s = s[i+1:]
	}
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// raw writes s unquoted (header names Salesforce echoes as sent).
func (w *csvWriter) raw(s string, first bool) {
	if !first {
		w.b = append(w.b, w.delim)
	}
	if strings.ContainsAny(s, "\"\r\n"+string(w.delim)) {
		w.field(s, true)
		return
	}
	w.b = append(w.b, s...)
}

func (w *csvWriter) endRow() { w.b = append(w.b, w.eol...) }
