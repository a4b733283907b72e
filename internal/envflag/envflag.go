// Package envflag lets every flag of an sfemu command also come from the
// environment.
//
// Every flag of `sfemu serve` can also come from the environment, for the
// places that pass no arguments (a GitHub Actions `services:` container, a
// compose file's environment): --public-url is SFEMU_PUBLIC_URL, --org is
// SFEMU_ORG, --trust-ca is SFEMU_TRUST_CA. The mapping is generic, so a flag
// added later has its variable without more code:
//
//   - the name is SFEMU_ and the flag's name in upper case, "-" as "_";
//   - a flag on the command line wins over its variable (a repeatable flag
//     given once ignores its variable entirely);
//   - a repeatable flag's variable holds a list, separated by commas or
//     newlines (surrounding spaces and empty items ignored). Not the path
//     list separator: URLs (--endpoint) have colons, and a comma is what a
//     YAML environment block reads best with;
//   - a boolean flag's variable is one of 1, t, true, 0, f, false (Go's
//     strconv.ParseBool);
//   - an empty variable counts as unset.
package envflag

import (
	"flag"
	"fmt"
	"strings"
	"sync"
)

// Prefix starts every variable that sets a flag.
const Prefix = "SFEMU_"

// Name is the variable that sets the flag called name.
func Name(name string) string {
	return Prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// repeatable is a flag.Value that may be given more than once; its
// variable holds a list.
type repeatable interface {
	flag.Value
	repeatable()
}

// StringList is a repeatable string flag.
type StringList []string

func (s *StringList) String() string     { return strings.Join(*s, ",") }
func (s *StringList) Set(v string) error { *s = append(*s, v); return nil }
func (s *StringList) repeatable()        {}

// SplitList cuts a repeatable flag's variable into its items.
func SplitList(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// Flags binds a FlagSet's flags to their variables.
type Flags struct {
	fs *flag.FlagSet
	// FromEnv names the flags that took their value from the environment.
	FromEnv map[string]bool
}

// Bind names each flag's variable in its usage (so --help shows it) and
// sets the FlagSet's usage text; call it once every flag is defined.
func Bind(fs *flag.FlagSet, synopsis string) *Flags {
	// The names go into the usage texts when help is first printed, not
	// at every start: sorting and formatting every flag's was a tenth of
	// what sfemu serve did before emulator.New.
	var named sync.Once
	fs.Usage = func() {
		named.Do(func() {
			fs.VisitAll(func(f *flag.Flag) {
				if _, ok := f.Value.(repeatable); ok {
					f.Usage += fmt.Sprintf(" [$%s, comma-separated]", Name(f.Name))
				} else {
					f.Usage += fmt.Sprintf(" [$%s]", Name(f.Name))
				}
			})
		})
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n\n", synopsis)
		fmt.Fprintf(w, "Each flag can also be set by the environment variable in brackets; the flag wins.\n")
		fmt.Fprintf(w, "A repeatable flag's variable is a list separated by commas or newlines.\n\n")
		fs.PrintDefaults()
	}
	return &Flags{fs: fs, FromEnv: map[string]bool{}}
}

// Apply sets every flag not given on the command line from its variable,
// as lookup (os.LookupEnv) finds it. Call it after Parse.
func (e *Flags) Apply(lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	e.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	e.fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		name := Name(f.Name)
		v, ok := lookup(name)
		if !ok || v == "" {
			return
		}
		values := []string{v}
		if _, ok := f.Value.(repeatable); ok {
			values = SplitList(v)
		}
		for _, item := range values {
			if serr := e.fs.Set(f.Name, item); serr != nil {
				err = fmt.Errorf("$%s=%q: %v", name, v, serr)
				return
			}
		}
		e.FromEnv[f.Name] = true
	})
	return err
}

// Ref names where flag name's value came from, for error messages:
// "--clock" or "$SFEMU_CLOCK".
func (e *Flags) Ref(name string) string {
	if e.FromEnv[name] {
		return "$" + Name(name)
	}
	return "--" + name
}
