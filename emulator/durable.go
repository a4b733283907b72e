package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/persist"
	"github.com/sfemu/sfemu/wire"
)

// Durable state (Options.DataDir): the emulator opens the data dir, puts
// its kept state back on top of the fixtures at start-up, gives each
// loaded state a journal, and writes the journal's notes before every
// HTTP answer, so whatever an answer acknowledges is on disk first.

// openData loads the start-up fixtures once to fingerprint them, opens the
// data dir with that fingerprint, and takes a fixture load it kept
// (POST /_sfemu/orgs before the restart) in place of the start-up
// fixtures.
func (e *Emulator) openData() error {
	fp := persist.NewFingerprint()
	store, err := org.NewStore(e.clock, fp.Wrap(e.opts.Orgs)...)
	if err != nil {
		return err
	}
	data, err := persist.Open(e.opts.DataDir, persist.Options{Fsync: e.opts.DataDirFsync, Fingerprint: fp.Sum(), Reset: e.opts.DataDirReset})
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	e.data, e.startFixtures = data, store
	kept := data.LoadedFixtures()
	if kept == nil {
		return nil
	}
	var req wire.LoadOrgs
	if err := json.Unmarshal(kept, &req); err != nil || len(req.Fixtures) == 0 {
		data.Close()
		return fmt.Errorf("emulator: data dir file %s: its kept fixture load does not read (%v): remove the dir, or start with --data-dir-reset", data.Path(), err)
	}
	e.opts.Orgs = make([]org.Source, len(req.Fixtures))
	for i, f := range req.Fixtures {
		e.opts.Orgs[i] = fixtureSource(f)
	}
	e.opts.NotificationIDBase, e.opts.OutboundEndpoints, e.loadedFixtures = req.NotificationIDBase, nil, kept
	e.startFixtures = nil
	return nil
}

// keptLoad is a fixture load as the data dir keeps it: the fixtures and
// the Notification Id base, not the clock's start (the kept clock is).
func keptLoad(req wire.LoadOrgs) []byte {
	b, err := json.Marshal(wire.LoadOrgs{Fixtures: req.Fixtures, NotificationIDBase: req.NotificationIDBase})
	if err != nil {
		return nil
	}
	return b
}

// keepState attaches the data dir to a freshly loaded store: at start-up
// it first puts the kept state back; at a later reset or fixture load it
// empties the kept state (keeping the load, so a restart repeats it). A
// store with no records kept yet gets every record of the fixtures noted,
// so a restart brings them back as first loaded. nil without a data dir.
func (e *Emulator) keepState(store *org.Store, keptLoad []byte) (*persist.Journal, error) {
	if e.data == nil {
		return nil, nil
	}
	fresh := e.data.Fresh()
	if !e.dataLoaded {
		if err := e.data.Load(store, e.virtual); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	} else {
		if err := e.data.Reset(keptLoad); err != nil {
			return nil, fmt.Errorf("emulator: data dir: reset: %w", err)
		}
		fresh = true
	}
	j := e.data.Begin(store.IDs, e.virtual)
	if fresh {
		j.KeepAll(store)
	}
	store.SetJournal(j)
	return j, nil
}

// reloadQueue puts the kept outbound queue back in the new state's
// dispatcher, at start-up only.
func (e *Emulator) reloadQueue(st *state) error {
	if e.data == nil || e.dataLoaded {
		return nil
	}
	kept, attempts, err := e.data.LoadQueue(st.store)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	st.outbound.Reload(kept, attempts)
	e.dataLoaded = true
	return nil
}

// outboundJournal is j as the dispatcher's journal: nil stays an untyped
// nil, so the dispatcher's nil checks see none.
func outboundJournal(j *persist.Journal) outbound.Journal {
	if j == nil {
		return nil
	}
	return j
}

// syncBeforeAnswer writes what the data dir's journal noted before the
// answer's first byte (or, for a handler that writes nothing, before
// net/http's implicit 200): the one place every surface's writes are
// acknowledged. When the write fails the answer is a 500 saying so; the
// change stays in memory and pending, retried by the next answer.
func (e *Emulator) syncBeforeAnswer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &syncingWriter{ResponseWriter: w, e: e}
		next.ServeHTTP(sw, r)
		sw.before()
	})
}

// syncingWriter syncs the data dir once, before the first header or byte.
type syncingWriter struct {
	http.ResponseWriter
	e      *Emulator
	synced bool
	failed bool
}

func (w *syncingWriter) before() bool {
	if w.synced {
		return !w.failed
	}
	w.synced = true
	if err := w.e.data.Sync(); err != nil {
		w.failed = true
		w.e.opts.Logger.Error("data dir: the change is not saved", "error", err)
		http.Error(w.ResponseWriter, "sfemu could not save the change to its --data-dir, so it is not acknowledged: "+err.Error(), http.StatusInternalServerError)
	}
	return !w.failed
}

func (w *syncingWriter) WriteHeader(code int) {
	if w.before() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *syncingWriter) Write(b []byte) (int, error) {
	if !w.before() {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher, for the console's event stream.
func (w *syncingWriter) Flush() {
	if w.before() {
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *syncingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
