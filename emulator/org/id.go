package org

import (
	"fmt"
	"strings"
)

// Key prefixes of the objects sfemu issues ids for (the standard objects' key prefixes).
const (
	PrefixAccount      = "001"
	PrefixContact      = "003"
	PrefixUser         = "005"
	PrefixOpportunity  = "006"
	PrefixOrganization = "00D"
	PrefixLead         = "00Q"
	PrefixTask         = "00T"
	PrefixEvent        = "00U"
	PrefixCase         = "500"
	PrefixProfile      = "00e"
	PrefixPermSet      = "0PS"
	PrefixLoginHistory = "0Ya"
	PrefixConnectedApp = "0H4"
	PrefixActionID     = "04k" // outbound message definition (ActionId)
	PrefixNotification = "04l" // outbound notification Id
	PrefixAssignRule   = "01Q" // AssignmentRule (lead assignment rules)
)

const idChecksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ID is a Salesforce record id, always held in its 18-character form.
type ID string

// Short returns the case-sensitive 15-character form.
func (id ID) Short() string {
	if len(id) < 15 {
		return string(id)
	}
	return string(id[:15])
}

// Prefix returns the 3-character key prefix that names the object type.
func (id ID) Prefix() string {
	if len(id) < 3 {
		return ""
	}
	return string(id[:3])
}

// MakeID builds an id from a 3-character key prefix and a sequence number, the
// way sfemu numbers the records it creates: prefix, pod "xx", "0", then nine
// base-62 digits. The result is deterministic, so fixtures load to the same
// ids on every run.
func MakeID(prefix string, seq uint64) ID {
	if len(prefix) != 3 {
		digits := idDigits(seq)
		return ID(withChecksum(prefix + "xx0" + string(digits[:])))
	}
	var b [18]byte
	putID(b[:], prefix, seq)
	return ID(b[:])
}

// makeIDs is MakeID of first, first+1 … for n ids, cut from one string.
func makeIDs(prefix string, first uint64, n int) []ID {
	out := make([]ID, n)
	if len(prefix) != 3 {
		for i := range out {
			out[i] = MakeID(prefix, first+uint64(i))
		}
		return out
	}
	var sb strings.Builder
	sb.Grow(18 * n)
	var b [18]byte
	for i := range n {
		putID(b[:], prefix, first+uint64(i))
		sb.Write(b[:])
	}
	all := sb.String()
	for i := range out {
		out[i] = ID(all[18*i : 18*i+18])
	}
	return out
}

func idDigits(seq uint64) [9]byte {
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = base62[seq%62]
		seq /= 62
	}
	return digits
}

// putID writes MakeID's 18 characters for a 3-character prefix into b.
func putID(b []byte, prefix string, seq uint64) {
	copy(b, prefix)
	copy(b[3:], "xx0")
	digits := idDigits(seq)
	copy(b[6:], digits[:])
	suffix := checksum(b[:15])
	copy(b[15:], suffix[:])
}

// ParseID accepts a 15- or 18-character id and returns its 18-character form.
// An 18-character id must carry the checksum its first 15 characters imply.
func ParseID(s string) (ID, error) {
	switch len(s) {
	case 15, 18:
	default:
		return "", fmt.Errorf("invalid id %q: an id has 15 or 18 characters, not %d", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("invalid id %q: character %q at position %d is not a letter or digit", s, c, i+1)
		}
	}
	full := withChecksum(s[:15])
	if len(s) == 18 && !strings.EqualFold(full[15:], s[15:]) {
		return "", fmt.Errorf("invalid id %q: its checksum should be %s", s, full[15:])
	}
	return ID(full), nil
}

// withChecksum appends the 3-character suffix that makes a 15-character id
// case-insensitively unique: for each group of five characters, bit i is set
// when character i is an upper-case letter.
func withChecksum(id15 string) string {
	suffix := checksum(id15)
	return id15 + string(suffix[:])
}

func checksum[T string | []byte](id15 T) [3]byte {
	var suffix [3]byte
	for group := 0; group < 3; group++ {
		bits := 0
		for i := 0; i < 5; i++ {
			c := id15[group*5+i]
			if c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[group] = idChecksumAlphabet[bits]
	}
	return suffix
}
