package soql

import (
	"strings"
	"unicode/utf8"
)

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokDate     // 2026-02-23
	tokDateTime // 2026-02-23T00:00:00Z
	tokPunct    // ( ) , . : = != <> < > <= >= + -
)

// token is one lexeme; pos is its byte offset in the query.
type token struct {
	kind tokenKind
	text string // source text ("<EOF>" at the end)
	val  string // unescaped value of a string literal
	pos  int
}

// lexer splits a query into tokens. Errors are reported as *Error.
type lexer struct {
	src  string
	toks []token
}

func lex(src string) ([]token, *Error) {
	// A token takes four characters on average ("Name", " = ", "'x'"): one
	// allocation for most queries, and a long one is not grown a dozen times.
	l := &lexer{src: src, toks: make([]token, 0, len(src)/4+8)}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '\'':
			j, val, err := l.scanString(i)
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, token{kind: tokString, text: src[i:j], val: val, pos: i})
			i = j
		case isDigit(c):
			j, kind := scanNumberOrDate(src, i)
			l.toks = append(l.toks, token{kind: kind, text: src[i:j], pos: i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			l.toks = append(l.toks, token{kind: tokIdent, text: src[i:j], pos: i})
			i = j
		case c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(src) && (src[j] == '=' || c == '<' && src[j] == '>') {
				j++
			}
			if c == '!' && j == i+1 {
				return nil, l.badChar(i)
			}
			l.toks = append(l.toks, token{kind: tokPunct, text: src[i:j], pos: i})
			i = j
		case strings.IndexByte("(),.:=+-", c) >= 0:
			l.toks = append(l.toks, token{kind: tokPunct, text: src[i : i+1], pos: i})
			i++
		default:
			return nil, l.badChar(i)
		}
	}
	l.toks = append(l.toks, token{kind: tokEOF, text: "<EOF>", pos: len(src)})
	return l.toks, nil
}

// badChar reports a character no token starts with. Since the Summer '24
// parser Salesforce answers "line 1:15 unexpected token: '$'" (release notes,
// "Changed Error Messages" for dynamic SOQL), with the ANTLR 0-based column.
func (l *lexer) badChar(i int) *Error {
	_, size := utf8.DecodeRuneInString(l.src[i:])
	e := errorAt(CodeMalformedQuery, l.src, i, true, "")
	e.Text = "line " + itoa(e.Row) + ":" + itoa(e.Column) + " unexpected token: '" + l.src[i:i+size] + "'"
	return errorAt(CodeMalformedQuery, l.src, i, true, e.Text)
}

// scanString reads a quoted literal starting at i. SOQL escapes with a
// backslash: \n \r \t \b \f \" \' \\, and \_ \% which stay escaped for LIKE.
// An unterminated quote is an unexpected token ”' at the quote.
func (l *lexer) scanString(i int) (int, string, *Error) {
	var b strings.Builder
	j := i + 1
	for j < len(l.src) {
		c := l.src[j]
		switch c {
		case '\'':
			return j + 1, b.String(), nil
		case '\\':
			if j+1 >= len(l.src) {
				return 0, "", errorAt(CodeMalformedQuery, l.src, i, true, "unexpected token: '''")
			}
			e := l.src[j+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case '_', '%':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				return 0, "", errorAt(CodeMalformedQuery, l.src, j, true,
					"Invalid string literal '"+l.src[i:min(len(l.src), j+2)]+"'. Illegal character sequence '\\"+string(e)+"' in string literal.")
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return 0, "", errorAt(CodeMalformedQuery, l.src, i, true, "unexpected token: '''")
}

// scanNumberOrDate reads 123, 1.5, 2026-02-23 or 2026-02-23T10:00:00.000+09:00.
func scanNumberOrDate(s string, i int) (int, tokenKind) {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j-i == 4 && j+5 < len(s)+0 && s[j] == '-' && isDigit(s[j+1]) {
		// date: yyyy-mm-dd
		k := j
		for k < len(s) && (isDigit(s[k]) || s[k] == '-') {
			k++
		}
		if k < len(s) && (s[k] == 'T' || s[k] == 't') {
			k++
			for k < len(s) && (isDigit(s[k]) || s[k] == ':' || s[k] == '.') {
				k++
			}
			if k < len(s) && (s[k] == 'Z' || s[k] == 'z') {
				k++
			} else if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
				for k < len(s) && (isDigit(s[k]) || s[k] == ':') {
					k++
				}
			}
			return k, tokDateTime
		}
		return k, tokDate
	}
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigit(s[j+1]) {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	// A name glued to a number (5abc) lexes as one identifier-ish token so the
	// parser reports it whole.
	if j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		return j, tokIdent
	}
	return j, tokNumber
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
