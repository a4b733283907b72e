// Package jwtbearer is the client side of the OAuth 2.0 JWT bearer flow as Salesforce receivers do it:
// loading the private keys people have, making certificates for the External Client App, and minting
// assertions.
package jwtbearer

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sfemu/sfemu/internal/userfile"
)

// Sentinel errors of LoadPrivateKey. The errors it returns carry a precise, self-contained message
// and wrap one of these (when one applies), so callers can branch with errors.Is.
var (
	// ErrNoPEM: the input contains no -----BEGIN line at all.
	ErrNoPEM = errors.New("no PEM block found")
	// ErrNotPrivateKey: the input is PEM, but holds a certificate, public key, CSR… and no private key.
	ErrNotPrivateKey = errors.New("not a private key")
	// ErrEncryptedKey: the private key is protected by a passphrase.
	ErrEncryptedKey = errors.New("encrypted private key")
	// ErrNotRSA: the private key is not RSA (EC, Ed25519, DSA…); Salesforce's JWT bearer flow needs RS256.
	ErrNotRSA = errors.New("not an RSA private key")
)

// keyError is an error with a complete message of its own that still matches a sentinel with errors.Is.
type keyError struct {
	msg  string
	kind error
}

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &keyError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// LoadPrivateKeyFile reads path and parses it with LoadPrivateKey. Errors name the path.
func LoadPrivateKeyFile(path string) (*rsa.PrivateKey, error) {
	// A regular file of at most 1 MiB (a key is a few KiB): /dev/zero or
	// a FIFO given as the key is an error, not a read that never ends.
	data, err := userfile.Read(path, userfile.MaxPEM)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err) // *fs.PathError names the path
	}
	key, err := LoadPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("private key file %s: %w", path, err)
	}
	return key, nil
}

// LoadPrivateKey parses an RSA private key from PEM: PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY").
//
// It accepts the forms keys take once people have copied them around:
//   - the one-line form pasted into secret stores and .env files, where newlines are the two characters
//     `\n` (also `\r\n`, doubly escaped `\\n`, and JSON's `\/`);
//   - surrounding single or double quotes, CRLF line ends, a byte-order mark, leading and trailing
//     whitespace, and explanatory text before -----BEGIN or after -----END;
//   - a block whose line breaks were turned into spaces;
//   - a key block next to certificate blocks (a "bundle"): the one private key is used.
//
// A key labelled "RSA PRIVATE KEY" that is really PKCS#8 (or the reverse) is accepted too.
//
// Errors say precisely what is wrong and wrap ErrNoPEM, ErrNotPrivateKey, ErrEncryptedKey or ErrNotRSA
// where one applies; corrupt blocks (bad base64, bad ASN.1, truncated) have messages of their own.
func LoadPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	text := normalize(data)
	if !strings.Contains(text, "-----BEGIN") {
		return nil, noPEMError(text)
	}
	blocks, err := scanPEM(text)
	if err != nil {
		return nil, err
	}

	var keys []pemBlock
	for _, b := range blocks {
		if strings.HasSuffix(b.label, "PRIVATE KEY") {
			keys = append(keys, b)
		}
	}
	switch len(keys) {
	case 0:
		return nil, notAKeyError(blocks[0].label)
	case 1:
		return parseKeyBlock(keys[0])
	default:
		labels := make([]string, len(keys))
		for i, k := range keys {
			labels[i] = fmt.Sprintf("%q", k.label)
		}
		return nil, fmt.Errorf("the input holds %d private keys (%s), expected exactly one: keep only the key whose certificate is in the app",
			len(keys), strings.Join(labels, ", "))
	}
}

// normalize undoes what copying does to a PEM file: quotes, escaped newlines, CRLF, a BOM.
func normalize(data []byte) string {
	s := strings.TrimPrefix(string(data), "\ufeff")
	s = strings.TrimSpace(s)
	for len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	// Backslashes never occur in PEM armour or base64, so these replacements cannot damage a real key.
	s = strings.NewReplacer(
		`\\r\\n`, "\n", `\\n`, "\n", `\\r`, "\n",
		`\r\n`, "\n", `\n`, "\n", `\r`, "\n",
		`\/`, "/",
	).Replace(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return s
}

func noPEMError(text string) error {
	switch {
	case text == "":
		return errorf(ErrNoPEM, "no PEM block found: the input is empty")
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return errorf(ErrNoPEM, "no PEM block found: the input is binary (DER?), not PEM text; convert it with "+
			"openssl pkey -inform DER -in key.der -out key.pem")
	case looksLikePath(text):
		return errorf(ErrNoPEM, "no PEM block found: the input is %q, which looks like a file path, not the key itself", text)
	case looksLikeBase64(text):
		return errorf(ErrNoPEM, "no PEM block found: the input is bare base64 without the -----BEGIN PRIVATE KEY----- "+
			"and -----END PRIVATE KEY----- lines around it")
	}
	return errorf(ErrNoPEM, "no PEM block found: the input does not contain a -----BEGIN line "+
		"(is this the certificate or a file path instead of the key?)")
}

func looksLikePath(s string) bool {
	if len(s) > 1024 || strings.ContainsAny(s, "\n\t") {
		return false
	}
	for _, ext := range []string{".pem", ".key", ".crt", ".cer", ".p8", ".der"} {
		if strings.HasSuffix(strings.ToLower(s), ext) {
			return true
		}
	}
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "~/") ||
		strings.HasPrefix(s, `C:\`) || strings.HasPrefix(s, `c:\`)
}

func looksLikeBase64(s string) bool {
	s = stripSpace(s)
	if len(s) < 64 {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

func notAKeyError(label string) error {
	switch label {
	case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
		return errorf(ErrNotPrivateKey, "this is a CERTIFICATE, not a private key: the JWT is signed with the private key; "+
			"the certificate goes into the app")
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return errorf(ErrNotPrivateKey, "this is a %s, not a private key: the JWT is signed with the private key, "+
			"which cannot be recovered from the public one", label)
	case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		return errorf(ErrNotPrivateKey, "this is a %s (CSR), not a private key: the JWT is signed with the private key "+
			"the CSR was made from", label)
	}
	return errorf(ErrNotPrivateKey, "this is a PEM block %q, not a private key", label)
}

// pemBlock is one -----BEGIN X----- … -----END X----- block, scanned leniently.
type pemBlock struct {
	label     string
	encrypted bool   // Proc-Type: 4,ENCRYPTED header
	body      string // base64 text with header lines removed
}

// scanPEM finds every PEM block in text. Unlike encoding/pem it does not skip a block it cannot read,
// so the caller can say what is wrong with it; it also tolerates blocks whose newlines became spaces.
func scanPEM(text string) ([]pemBlock, error) {
	var blocks []pemBlock
	rest := text
	for {
		i := strings.Index(rest, "-----BEGIN")
		if i < 0 {
			break
		}
		rest = rest[i+len("-----BEGIN"):]
		j := strings.Index(rest, "-----")
		if j < 0 || strings.Contains(rest[:j], "\n") {
			return nil, fmt.Errorf("corrupt PEM: the -----BEGIN line does not end with -----")
		}
		label := strings.TrimSpace(rest[:j])
		rest = rest[j+len("-----"):]
		end := "-----END " + label + "-----"
		k := strings.Index(rest, end)
		if k < 0 {
			if m := strings.Index(rest, "-----END"); m >= 0 {
				line, _, _ := strings.Cut(rest[m:], "\n")
				return nil, fmt.Errorf("corrupt PEM: block %q ends with %q instead of %q", label, strings.TrimSpace(line), end)
			}
			return nil, fmt.Errorf("PEM block %q is truncated: there is no %s line (was the value cut off when it was copied?)",
				label, end)
		}
		b := pemBlock{label: label}
		var body strings.Builder
		for line := range strings.SplitSeq(rest[:k], "\n") {
			if strings.Contains(line, ":") { // an RFC 1421 header; base64 has no colon
				name, value, _ := strings.Cut(line, ":")
				if strings.EqualFold(strings.TrimSpace(name), "Proc-Type") && strings.Contains(value, "ENCRYPTED") {
					b.encrypted = true
				}
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		b.body = body.String()
		blocks = append(blocks, b)
		rest = rest[k+len(end):]
	}
	if len(blocks) == 0 {
		return nil, errorf(ErrNoPEM, "no PEM block found: -----BEGIN appears, but not as the start of a PEM block")
	}
	return blocks, nil
}

// decode returns the DER bytes of the block's body, or says where the base64 is wrong.
func (b pemBlock) decode() ([]byte, error) {
	line := 0 // lines of the body proper; the BEGIN line's remainder is usually empty
	for _, r := range strings.TrimLeft(b.body, " \t\n") {
		switch {
		case r == '\n':
			line++
		case r == ' ' || r == '\t' || r == '=' || r == '+' || r == '/' ||
			'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
		default:
			return nil, fmt.Errorf("PEM body of %q is not valid base64: character %q on line %d of the body is not a base64 character",
				b.label, r, line+1)
		}
	}
	clean := stripSpace(b.body)
	if clean == "" {
		return nil, fmt.Errorf("PEM block %q is empty", b.label)
	}
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		if len(clean)%4 != 0 {
			return nil, fmt.Errorf("PEM body of %q is not valid base64: %d characters is not a multiple of 4, so part of it is missing",
				b.label, len(clean))
		}
		return nil, fmt.Errorf("PEM body of %q is not valid base64: %v", b.label, err)
	}
	return der, nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func parseKeyBlock(b pemBlock) (*rsa.PrivateKey, error) {
	switch {
	case b.encrypted || b.label == "ENCRYPTED PRIVATE KEY":
		return nil, errorf(ErrEncryptedKey, "encrypted private key: decrypt it first (openssl rsa -in key.pem -out plain.pem)")
	case b.label == "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("this is an OpenSSH-format private key: convert it to PEM first " +
			"(ssh-keygen -p -N '' -m PEM -f key rewrites the file in place)")
	case b.label == "EC PRIVATE KEY" || b.label == "DSA PRIVATE KEY":
		kind := strings.TrimSuffix(b.label, " PRIVATE KEY")
		return nil, errorf(ErrNotRSA, "this is an %s private key, not RSA: Salesforce JWT bearer needs RS256", kind)
	}
	der, err := b.decode()
	if err != nil {
		return nil, err
	}
	// Try the format the label names first, then the other one: mislabelled keys are common.
	pkcs1First := b.label == "RSA PRIVATE KEY"
	var firstErr error
	for attempt := range 2 {
		if (attempt == 0) == pkcs1First {
			key, err := x509.ParsePKCS1PrivateKey(der)
			if err == nil {
				return key, nil
			}
			if attempt == 0 {
				firstErr = err
			}
			continue
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err == nil {
			return rsaFromPKCS8(parsed)
		}
		if attempt == 0 {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("PEM block %q is corrupt: %v", b.label, firstErr)
}

func rsaFromPKCS8(parsed any) (*rsa.PrivateKey, error) {
	var kind string
	switch k := parsed.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		kind = "ECDSA " + k.Curve.Params().Name
	case ed25519.PrivateKey:
		kind = "Ed25519"
	case *ecdh.PrivateKey:
		kind = "ECDH (X25519)"
	default:
		kind = fmt.Sprintf("%T", parsed)
	}
	return nil, errorf(ErrNotRSA, "PKCS#8 key is %s, not RSA: Salesforce JWT bearer needs RS256", kind)
}
