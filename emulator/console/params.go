package console

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Paging bounds: every table shows at most MaxPerPage rows at once.
const (
	DefaultPerPage = 50
	MaxPerPage     = 200
	maxPage        = 1_000_000
	// maxText bounds a text filter; maxSOQL a query.
	maxText = 200
	maxSOQL = 20_000
)

// pager is one table's page: which rows of how many, and links to others.
type pager struct {
	Param string // the query parameter of this table's page number
	Page  int
	Per   int
	Total int
	query url.Values
	path  string
}

// Pages is the number of pages (at least 1).
func (p pager) Pages() int { return max(1, (p.Total+p.Per-1)/p.Per) }

// From and To are the 1-based rows shown; From is 0 when there are none.
func (p pager) From() int {
	if p.Total == 0 || p.offset() >= p.Total {
		return 0
	}
	return p.offset() + 1
}

// To is the last row shown.
func (p pager) To() int { return min(p.offset()+p.Per, p.Total) }

func (p pager) offset() int { return (p.Page - 1) * p.Per }

// Prev and Next are the neighbouring pages' links, "" at the ends.
func (p pager) Prev() string {
	if p.Page <= 1 {
		return ""
	}
	return p.link(min(p.Page-1, p.Pages()))
}

// Next is the next page's link, "" on the last.
func (p pager) Next() string {
	if p.Page >= p.Pages() {
		return ""
	}
	return p.link(p.Page + 1)
}

// First and Last link the ends.
func (p pager) First() string { return p.link(1) }

// Last links the last page.
func (p pager) Last() string { return p.link(p.Pages()) }

func (p pager) link(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		if k != "notice" {
			q[k] = v
		}
	}
	q.Set(p.Param, strconv.Itoa(n))
	return p.path + "?" + q.Encode()
}

// window returns the page's rows of items, which are already in display
// order (newest first where the table is).
func window[T any](p pager, items []T) []T {
	from := min(p.offset(), len(items))
	return items[from:min(from+p.Per, len(items))]
}

// newestFirst returns the page's rows of items kept oldest first, newest
// first, without copying all of them.
func newestFirst[T any](p pager, items []T) []T {
	n := len(items)
	from := min(p.offset(), n)
	to := min(from+p.Per, n)
	out := make([]T, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, items[n-1-i])
	}
	return out
}

// matching returns the positions of the items keep accepts, newest (last)
// first: a page then copies only its own rows out of the journal.
func matching[T any](items []T, keep func(*T) bool) []int {
	out := make([]int, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		if keep(&items[i]) {
			out = append(out, i)
		}
	}
	return out
}

// pick copies the items at the positions given.
func pick[T any](items []T, at []int) []T {
	out := make([]T, len(at))
	for j, i := range at {
		out[j] = items[i]
	}
	return out
}

// per reads ?per (rows per page, shared by a page's tables).
func (rq *request) per() int {
	s := rq.query.Get("per")
	if s == "" {
		return DefaultPerPage
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPerPage {
		rq.problem("per %q: give a number of rows per page from 1 to %d; showing %d.", clipText(s), MaxPerPage, DefaultPerPage)
		return DefaultPerPage
	}
	return n
}

// pager reads one table's page number from param and sets its total.
func (rq *request) pager(param string, per, total int) pager {
	p := pager{Param: param, Page: 1, Per: per, Total: total, query: rq.query, path: rq.r.URL.Path}
	s := rq.query.Get(param)
	if s == "" {
		return p
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPage {
		rq.problem("%s %q: give a page number from 1; showing page 1.", param, clipText(s))
		return p
	}
	p.Page = n
	if n > p.Pages() {
		rq.problem("%s %d: there are only %d pages of %d rows; showing page %d.", param, n, p.Pages(), total, p.Pages())
		p.Page = p.Pages()
	}
	return p
}

// text reads a free-text filter: at most maxText characters of UTF-8.
func (rq *request) text(name string) string {
	s := strings.TrimSpace(rq.query.Get(name))
	if !utf8.ValidString(s) {
		rq.problem("%s: the text is not UTF-8; ignored.", name)
		return ""
	}
	if utf8.RuneCountInString(s) > maxText {
		rq.problem("%s: at most %d characters; ignored.", name, maxText)
		return ""
	}
	return s
}

// choice reads a parameter that must be one of allowed ("" is the first).
func (rq *request) choice(name string, allowed ...string) string {
	s := rq.query.Get(name)
	if s == "" {
		return allowed[0]
	}
	if !slices.Contains(allowed, s) {
		rq.problem("%s %q: give one of %s; showing %s.", name, clipText(s), strings.Join(quoteAll(allowed), ", "), allowed[0])
		return allowed[0]
	}
	return s
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// clipText shortens text quoted back in a message.
func clipText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "…"
}

// pathID reads a positive journal id from the path.
func pathID(rq *request, what string) (int64, error) {
	s := rq.r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%s %q: want the number the list shows (1, 2, …)", what, clipText(s))
	}
	return id, nil
}

// contains reports whether s holds sub, ignoring case.
func contains(s, sub string) bool {
	return sub == "" || strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
