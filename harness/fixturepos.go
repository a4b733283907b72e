package harness

import (
	"fmt"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// patchLayer is the scenario's org.patch as a layer of the fixture a run
// generates: an emulator refusing that fixture then names the patch's line
// (x.yaml:12:14: … (in org.patch, over broken-org.yaml)).
func (sc *Scenario) patchLayer(patch any, fixtureName string) fixturedoc.Layer {
	return fixturedoc.Layer{Doc: patch, Where: func(path string) (fixturedoc.Place, bool) {
		p := "$.org.patch" + path[1:]
		l, c := 0, 0
		if sc.lines != nil {
			l = sc.lines(p)
		}
		if sc.cols != nil {
			c = sc.cols(p)
		}
		if l == 0 {
			return fixturedoc.Place{}, false
		}
		return fixturedoc.Place{File: sc.File, Line: l, Column: c, Note: fmt.Sprintf("(in org.patch, over %s)", fixtureName)}, true
	}}
}
