package persist

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// The stored values' encodings. A record version, written on every DML, is
// a compact binary of this package's design, since its values are typed
// (text, number, checkbox, date/time) and JSON would lose which; the rest
// (sessions, Login History rows, notifications, attempts), written once or
// a few times each, is JSON. Every decoder bounds what it reads by the
// bytes it is given and answers a clear error, never a panic (FuzzDecode).

// recordVersion is the first byte of a stored record version.
const recordVersion = 1

// Value tags of a record field.
const (
	tagString = 's'
	tagNumber = 'n'
	tagTrue   = 't'
	tagFalse  = 'f'
	tagTime   = 'd'
	tagInt    = 'i'
)

// keptRecord is a record version as stored: its fields by name (not by
// index, so a stored file never silently shifts a value into another
// field), its slot in its table's insertion order, or its erasure.
type keptRecord struct {
	Object string
	Slot   int
	Erased bool
	Fields []keptField
}

type keptField struct {
	Name  string
	Value any // string, float64, bool, time.Time or int64
}

// encodeRecord writes r (nil: erased, of object o) in the record format.
func encodeRecord(r *org.Record, object string, slot int) ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, recordVersion)
	b = appendString(b, object)
	b = binary.AppendUvarint(b, uint64(max(slot, 0)))
	if r == nil {
		return append(b, 1), nil
	}
	b = append(b, 0)
	n := 0
	for i, v := range r.Values {
		if v != nil && i < len(r.Object.Fields) {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i, v := range r.Values {
		if v == nil || i >= len(r.Object.Fields) {
			continue
		}
		f := r.Object.Fields[i]
		b = appendString(b, f.Name)
		switch x := v.(type) {
		case string:
			b = appendString(append(b, tagString), x)
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, tagNumber), math.Float64bits(x))
		case bool:
			if x {
				b = append(b, tagTrue)
			} else {
				b = append(b, tagFalse)
			}
		case time.Time:
			t, err := x.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("record %s field %s: %w", r.ID, f.Name, err)
			}
			b = appendBytes(append(b, tagTime), t)
		case int:
			b = binary.AppendVarint(append(b, tagInt), int64(x))
		case int64:
			b = binary.AppendVarint(append(b, tagInt), x)
		default:
			return nil, fmt.Errorf("record %s field %s: a %T value, which the data dir cannot keep", r.ID, f.Name, v)
		}
	}
	return b, nil
}

// maxStoredString bounds one decoded string or field count: no value the
// emulator stores comes near it (long text areas hold 131,072 characters).
const maxStoredString = 16 << 20

// errShort is a stored value that ends before its last field.
var errShort = errors.New("ends early")

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("bad length at byte %d", r.off)
	}
	r.off += n
	return v, nil
}

func (r *reader) bytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > maxStoredString || n > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("a length of %d at byte %d past the end (%d bytes)", n, r.off, len(r.b))
	}
	out := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return out, nil
}

func (r *reader) string() (string, error) {
	b, err := r.bytes()
	return string(b), err
}

// decodeRecord reads a stored record version.
func decodeRecord(b []byte) (keptRecord, error) {
	var k keptRecord
	r := &reader{b: b}
	v, err := r.byte()
	if err != nil {
		return k, fmt.Errorf("empty record value")
	}
	if v != recordVersion {
		return k, fmt.Errorf("record value of format %d, not %d", v, recordVersion)
	}
	if k.Object, err = r.string(); err != nil {
		return k, fmt.Errorf("object name: %w", err)
	}
	slot, err := r.uvarint()
	if err != nil || slot > 1<<26 {
		return k, fmt.Errorf("slot: bad or out of range")
	}
	k.Slot = int(slot)
	erased, err := r.byte()
	if err != nil || erased > 1 {
		return k, fmt.Errorf("erased flag: bad")
	}
	if k.Erased = erased == 1; k.Erased {
		return k, r.end()
	}
	n, err := r.uvarint()
	if err != nil {
		return k, fmt.Errorf("field count: %w", err)
	}
	// Each field takes at least two bytes: a count past that is corrupt.
	if n > uint64(len(b)-r.off)/2 {
		return k, fmt.Errorf("%d fields in %d bytes", n, len(b)-r.off)
	}
	k.Fields = make([]keptField, 0, n)
	for i := range n {
		name, err := r.string()
		if err != nil {
			return k, fmt.Errorf("field %d name: %w", i+1, err)
		}
		tag, err := r.byte()
		if err != nil {
			return k, fmt.Errorf("field %s: %w", name, err)
		}
		var val any
		switch tag {
		case tagString:
			s, err := r.string()
			if err != nil {
				return k, fmt.Errorf("field %s: %w", name, err)
			}
			val = s
		case tagNumber:
			if len(b)-r.off < 8 {
				return k, fmt.Errorf("field %s: %w", name, errShort)
			}
			val = math.Float64frombits(binary.BigEndian.Uint64(b[r.off:]))
			r.off += 8
		case tagTrue, tagFalse:
			val = tag == tagTrue
		case tagTime:
			raw, err := r.bytes()
			if err != nil {
				return k, fmt.Errorf("field %s: %w", name, err)
			}
			var t time.Time
			if err := t.UnmarshalBinary(raw); err != nil {
				return k, fmt.Errorf("field %s: time: %w", name, err)
			}
			val = t
		case tagInt:
			x, n := binary.Varint(b[r.off:])
			if n <= 0 {
				return k, fmt.Errorf("field %s: bad integer", name)
			}
			r.off += n
			val = x
		default:
			return k, fmt.Errorf("field %s: unknown value tag %q", name, tag)
		}
		k.Fields = append(k.Fields, keptField{Name: name, Value: val})
	}
	return k, r.end()
}

func (r *reader) end() error {
	if r.off != len(r.b) {
		return fmt.Errorf("%d bytes after the last field", len(r.b)-r.off)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// keptSession is a session as stored (org.SavedSession).
type keptSession struct {
	ID          int64         `json:"id"`
	Username    string        `json:"username"`
	ConsumerKey string        `json:"consumer_key,omitempty"`
	Created     time.Time     `json:"created"`
	Timeout     time.Duration `json:"timeout_ns"`
	LastUsed    time.Time     `json:"last_used"`
}

// keptEnded is how a session ended, as stored.
type keptEnded struct {
	Order uint64    `json:"order"`
	Ended org.Ended `json:"ended"`
}

// keptNotification is a queued notification as stored, its message by
// org and ActionId (the fixtures are loaded again at each start).
type keptNotification struct {
	Seq         uint64    `json:"seq"`
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	MessageID   string    `json:"message_id"`
	RecordID    string    `json:"record_id"`
	Endpoint    string    `json:"endpoint"`
	QueuedAt    time.Time `json:"queued_at"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastFailure string    `json:"last_failure,omitempty"`
	LastAttempt time.Time `json:"last_attempt"`
	DroppedAt   time.Time `json:"dropped_at"`
	State       string    `json:"state"`
	DuplicateOf string    `json:"duplicate_of,omitempty"`
	DueNow      bool      `json:"due_now,omitempty"`
}

// decodeJSON reads a stored JSON value of one kind.
func decodeJSON[T any](b []byte, what string) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
