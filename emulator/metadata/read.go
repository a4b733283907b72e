// Package metadata reads an org's Setup from Salesforce metadata files —
// an SFDX project's source format (force-app/main/default/…/*-meta.xml) or
// a folder retrieved in Metadata API format (package.xml beside
// connectedApps/, profiles/, workflows/ …) — into an org fixture layer, so
// "the org in the test is the org we ship": a vendor's managed package or a
// customer's retrieved Setup loads as it is, and a YAML fixture adds only
// the users and records.
//
// Element names and values follow the Metadata API Developer Guide (types
// ExternalClientApplication, ExtlClntAppOauthSettings,
// ExtlClntAppGlobalOauthSettings, ExtlClntAppOauthConfigurablePolicies,
// ConnectedApp, Profile, PermissionSet, CustomObject, CustomField,
// Workflow, Flow, Certificate, AssignmentRules). What sfemu does with each element is in
// docs/METADATA.md; elements it does not use are listed once as ignored,
// never fatal, so real projects load.
package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/internal/userfile"
)

// Limits on one read, so pointing sfemu at a home directory fails quickly
// with a message instead of reading everything. (Variables so tests can
// reach them without making 200,000 files.)
var (
	maxFiles      = 20_000  // metadata files read
	maxWalked     = 200_000 // directory entries looked at
	maxTotalBytes = 256 << 20
)

// Error is a problem in a metadata file, at a line and column when known:
// the fixture's error type, so a caller reports both alike.
type Error = org.FixtureError

// Ignored is something read but not used: an element sfemu does not model,
// or a metadata type it does not read. Each is listed once, at its first
// place, with how many times it was met.
type Ignored struct {
	fixturedoc.Place
	What  string
	Count int
}

func (i Ignored) String() string {
	s := fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.What)
	if i.Line == 0 {
		s = fmt.Sprintf("%s: %s", i.File, i.What)
	}
	if i.Count > 1 {
		s += fmt.Sprintf(" (%d times)", i.Count)
	}
	return s
}

// Result is the Setup read from metadata, as a fixture layer.
type Result struct {
	// Doc is fixture-shaped: org, profiles, permission_sets, apps,
	// objects, outbound_messages — the keys docs/FIXTURES.md describes.
	Doc yaml.MapSlice
	// Ignored lists what was read but not used, in file order.
	Ignored []Ignored
	// Files counts the metadata files read.
	Files int

	places map[string]fixturedoc.Place
}

// Layer is the result as the bottom layer of a fixture: an error the
// emulator reports about a node it contributed names the metadata file and
// line.
func (r *Result) Layer() fixturedoc.Layer {
	return fixturedoc.Layer{Doc: r.Doc, Where: func(path string) (fixturedoc.Place, bool) {
		for p := path; p != "" && p != "$"; p = fixturedoc.ParentPath(p) {
			if pl, ok := r.places[p]; ok {
				return pl, true
			}
		}
		return fixturedoc.Place{}, false
	}}
}

// Read reads every metadata folder in dirs, in order (a later folder's
// component of the same name replaces an earlier one's). Each may be an
// SFDX project (its sfdx-project.json package directories are read), a
// source-format folder, or a Metadata API folder with package.xml.
func Read(dirs ...string) (*Result, error) {
	rd := newReader()
	for _, dir := range dirs {
		if err := rd.readDir(dir); err != nil {
			return nil, err
		}
	}
	if len(rd.errs) > 0 {
		return nil, joinErrors(rd.errs)
	}
	res := rd.assemble()
	if len(rd.errs) > 0 {
		return nil, joinErrors(rd.errs)
	}
	return res, nil
}

// joinErrors reports up to 20 problems at once, so a project with several
// is fixed in one pass.
func joinErrors(errs []error) error {
	if len(errs) > 20 {
		n := len(errs)
		errs = append(errs[:20:20], fmt.Errorf("… and %d more", n-20))
	}
	return errors.Join(errs...)
}

// kind is a metadata type sfemu reads, known by its file suffix.
type kind struct {
	typeName string // the Metadata API type, as the root element names it
	suffix   string // source format adds -meta.xml
	read     func(rd *reader, f *file) error
}

// kinds by suffix. Order matters only for documentation.
var kinds = []kind{
	{"ExternalClientApplication", ".eca", (*reader).readECA},
	{"ExtlClntAppOauthSettings", ".ecaOauth", (*reader).readECAOauth},
	{"ExtlClntAppGlobalOauthSettings", ".ecaGlblOauth", (*reader).readECAGlobalOauth},
	{"ExtlClntAppOauthConfigurablePolicies", ".ecaOauthPlcy", (*reader).readECAPolicies},
	{"ExtlClntAppConfigurablePolicies", ".ecaPlcy", (*reader).readECAAppPolicies},
	{"ConnectedApp", ".connectedApp", (*reader).readConnectedApp},
	{"Profile", ".profile", (*reader).readProfile},
	{"PermissionSet", ".permissionset", (*reader).readPermissionSet},
	{"CustomObject", ".object", (*reader).readObject},
	{"CustomField", ".field", (*reader).readField},
	{"Workflow", ".workflow", (*reader).readWorkflow},
	{"Flow", ".flow", (*reader).readFlow},
	{"Certificate", ".crt", (*reader).readCertificate},
	{"AssignmentRules", ".assignmentRules", (*reader).readAssignmentRules},
}

// file is one metadata file being read.
type file struct {
	path string // as shown in messages
	name string // the component's name, from the file name
	root *element
	k    *kind
	// content is the file a Certificate's -meta.xml describes (the .crt).
	content []byte
}

func (f *file) at(e *element) fixturedoc.Place {
	if e == nil {
		return fixturedoc.Place{File: f.path}
	}
	return fixturedoc.Place{File: f.path, Line: e.Line, Column: e.Col}
}

func (f *file) errAt(e *element, format string, args ...any) error {
	pl := f.at(e)
	return &Error{File: pl.File, Line: pl.Line, Column: pl.Column, Msg: fmt.Sprintf(format, args...)}
}

func (rd *reader) readDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--metadata %s: %w", dir, unwrapPath(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("--metadata %s: not a folder (give the SFDX project, its force-app folder, or a retrieved folder with package.xml)", dir)
	}
	roots := []string{dir}
	if data, err := userfile.Read(filepath.Join(dir, "sfdx-project.json"), userfile.MaxData); err == nil {
		var proj struct {
			Name     string `json:"name"`
			Packages []struct {
				Path string `json:"path"`
			} `json:"packageDirectories"`
		}
		if err := json.Unmarshal(data, &proj); err != nil {
			return &Error{File: filepath.Join(dir, "sfdx-project.json"), Msg: "not JSON sfdx can read: " + err.Error()}
		}
		if rd.projectName == "" {
			rd.projectName = proj.Name
		}
		if len(proj.Packages) > 0 {
			roots = roots[:0]
			for _, p := range proj.Packages {
				roots = append(roots, filepath.Join(dir, filepath.FromSlash(p.Path)))
			}
		}
	}
	if rd.projectName == "" {
		if abs, err := filepath.Abs(dir); err == nil {
			rd.projectName = filepath.Base(abs)
		}
	}
	for _, root := range roots {
		if err := rd.walk(root); err != nil {
			return err
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Folders never holding metadata of the project: tools' caches.
var skipDirs = []string{".git", ".sf", ".sfdx", "node_modules", ".vscode", ".husky"}

func (rd *reader) walk(root string) error {
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("--metadata: %s: %w", path, unwrapPath(err))
		}
		rd.walked++
		if rd.walked > maxWalked {
			return fmt.Errorf("--metadata %s: more than %d files and folders; point it at the project or its package folder (force-app), not a folder above it", root, maxWalked)
		}
		if d.IsDir() {
			if path != root && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, path := range paths {
		if err := rd.readFile(path); err != nil {
			return err
		}
	}
	return nil
}

// classify finds the kind of a file by its name: Name.suffix-meta.xml
// (source format) or Name.suffix (Metadata API format).
func classify(base string) (k *kind, name string, meta bool) {
	stem, meta := strings.CutSuffix(base, "-meta.xml")
	for i := range kinds {
		if n, ok := strings.CutSuffix(stem, kinds[i].suffix); ok && n != "" {
			return &kinds[i], n, meta
		}
	}
	return nil, "", meta
}

func (rd *reader) readFile(path string) error {
	base := filepath.Base(path)
	if base == "package.xml" || base == "destructiveChanges.xml" || strings.HasPrefix(base, ".") {
		return nil
	}
	k, name, meta := classify(base)
	if k == nil {
		rd.ignoreType(path, base, meta)
		return nil
	}
	if k.typeName == "Certificate" && !meta {
		return nil // the certificate itself; read with its -meta.xml
	}
	rd.files++
	if rd.files > maxFiles {
		return fmt.Errorf("--metadata: more than %d metadata files; point it at the package folder", maxFiles)
	}
	data, err := userfile.Read(path, userfile.MaxData)
	if err != nil {
		return fmt.Errorf("--metadata: %s: %w", path, unwrapPath(err))
	}
	rd.bytes += len(data)
	if rd.bytes > maxTotalBytes {
		return fmt.Errorf("--metadata: more than %d MiB of metadata files", maxTotalBytes>>20)
	}
	root, err := parseXML(path, data)
	if err != nil {
		rd.errs = append(rd.errs, err)
		return nil
	}
	if root.Name != k.typeName {
		rd.errs = append(rd.errs, &Error{File: path, Line: root.Line, Column: root.Col,
			Msg: fmt.Sprintf("the root element is <%s>; a %s file holds <%s>", root.Name, k.suffix, k.typeName)})
		return nil
	}
	if n, err := url.PathUnescape(name); err == nil {
		name = n // profile files escape characters such as ( and ): %28 %29
	}
	f := &file{path: path, name: name, root: root, k: k}
	if k.typeName == "Certificate" {
		crt := strings.TrimSuffix(path, "-meta.xml")
		if !meta {
			crt = path
		}
		if f.content, err = userfile.Read(crt, userfile.MaxPEM); err != nil {
			rd.errs = append(rd.errs, &Error{File: path, Msg: "the certificate file it describes cannot be read: " + unwrapPath(err).Error()})
			return nil
		}
	}
	if err := k.read(rd, f); err != nil {
		rd.errs = append(rd.errs, err)
	}
	return nil
}

// ignoreType notes a file of a type sfemu does not read, once per type
// (by suffix) with a count.
func (rd *reader) ignoreType(path, base string, meta bool) {
	if !meta && !strings.HasSuffix(base, ".xml") {
		// Metadata API format has no -meta.xml: a component file there
		// ends in its type's suffix. Content files beside source-format
		// metadata (.cls, .js, .html) belong to an ignored -meta.xml too.
		if filepath.Ext(base) == "" {
			return
		}
	}
	stem := strings.TrimSuffix(base, "-meta.xml")
	ext := filepath.Ext(stem)
	if ext == "" {
		ext = stem
	}
	rd.ignore(fixturedoc.Place{File: path}, fmt.Sprintf("%s files: a metadata type sfemu does not read", ext))
}

// ignore records something not used, once per what.
func (rd *reader) ignore(at fixturedoc.Place, what string) {
	if i, ok := rd.ignoredAt[what]; ok {
		rd.ignored[i].Count++
		return
	}
	rd.ignoredAt[what] = len(rd.ignored)
	rd.ignored = append(rd.ignored, Ignored{Place: at, What: what, Count: 1})
}

// unused notes every child of e that the reader did not use: children not
// in used. Elements are named as "Profile <tabVisibilities>".
func (rd *reader) unused(f *file, e *element, used ...string) {
	for _, c := range e.Children {
		if !slices.Contains(used, c.Name) {
			rd.ignore(f.at(c), fmt.Sprintf("%s <%s> is not modelled", f.k.typeName, c.Name))
		}
	}
}
