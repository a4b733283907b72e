package main

import (
	"fmt"
	"io"

	"github.com/sfemu/sfemu/emulator/metadata"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// orgSources are the orgs `sfemu serve` loads: each --org fixture, or, with
// --metadata, one org whose Setup is read from the metadata folders and
// whose users and records come from the one --org fixture (if any). The
// trace leads errors about that merged org back to the metadata file or
// fixture line they came from; elements the metadata reader did not use
// are listed on w, once each.
func orgSources(orgFiles, metadataDirs []string, w io.Writer) ([]org.Source, *fixturedoc.Trace, error) {
	var sources []org.Source
	for _, f := range orgFiles {
		src, err := org.FileSource(f)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, src)
	}
	if len(metadataDirs) == 0 {
		return sources, nil, nil
	}
	if len(sources) > 1 {
		return nil, nil, fmt.Errorf("--metadata makes one org: give at most one --org fixture (its users and records), not %d", len(sources))
	}
	res, err := metadata.Read(metadataDirs...)
	if err != nil {
		return nil, nil, err
	}
	var overlay *org.Source
	if len(sources) == 1 {
		overlay = &sources[0]
	}
	label := "metadata " + metadataDirs[0]
	if len(metadataDirs) > 1 {
		label = fmt.Sprintf("metadata %s and %d more", metadataDirs[0], len(metadataDirs)-1)
	}
	src, trace, err := res.Source(label, overlay)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(w, "sfemu serve: %s\n", res.Summary())
	for _, ig := range res.Ignored {
		fmt.Fprintf(w, "  ignored: %s\n", ig)
	}
	return []org.Source{src}, trace, nil
}
