package generate

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lockstep-dev/lockstep/events"
)

// Output file names inside a world directory.
const (
	EventsFile   = "events.ndjson"
	AccountsFile = "accounts.csv"
	LoginsFile   = "logins.csv"
	LookupsFile  = "lookups.csv"
	TruthFile    = "truth.json"
)

// ToDir generates a world into dir (created if missing): events.ndjson, or
// accounts.csv, logins.csv and lookups.csv when cfg.Format is FormatCSV,
// truth.json and watchlists.yaml (WatchListsYAML), replacing any earlier
// world there (in either format). It returns the truth it wrote.
func ToDir(cfg Config, dir string) (*Truth, error) {
	cfg.normalize()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if cfg.TempDir == "" {
		cfg.TempDir = dir
	}
	var files []*os.File
	create := func(name string) (io.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		files = append(files, f)
		return f, nil
	}
	closeAll := func() error {
		var first error
		for _, f := range files {
			if err := f.Close(); err != nil && first == nil {
				first = fmt.Errorf("generate: %w", err)
			}
		}
		files = nil
		return first
	}
	defer closeAll()
	// A world left by an earlier run in the other format would mix with
	// this one when the directory is ingested: remove its files.
	stale := []string{AccountsFile, LoginsFile, LookupsFile}
	if cfg.Format == FormatCSV {
		stale = []string{EventsFile}
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("generate: %w", err)
		}
	}
	var s sink
	if cfg.Format == FormatCSV {
		var ws [3]io.Writer
		for i, name := range []string{AccountsFile, LoginsFile, LookupsFile} {
			f, err := create(name)
			if err != nil {
				return nil, err
			}
			ws[i] = f
		}
		cs, err := newCSVSink(ws[0], ws[1], ws[2])
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		s = cs
	} else {
		f, err := create(EventsFile)
		if err != nil {
			return nil, err
		}
		s = newNDJSONSink(f)
	}
	t, err := run(cfg, s)
	if err != nil {
		return nil, err
	}
	if err := closeAll(); err != nil {
		return nil, err
	}
	if err := WriteTruth(t, filepath.Join(dir, TruthFile)); err != nil {
		return nil, err
	}
	watch, err := WatchListsYAML(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, WatchListsFile), watch, 0o644); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return t, nil
}

// WriteTruth writes t as indented JSON.
func WriteTruth(t *Truth, path string) error {
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return fmt.Errorf("generate: truth: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}

// WriteNDJSON writes a world's events as NDJSON lines to out and returns
// its truth (cfg.Format is ignored).
func WriteNDJSON(cfg Config, out io.Writer) (*Truth, error) {
	cfg.normalize()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return run(cfg, newNDJSONSink(out))
}

// WriteCSV writes a world's events as the three CSV files (header row
// first) and returns its truth (cfg.Format is ignored).
func WriteCSV(cfg Config, accounts, logins, lookups io.Writer) (*Truth, error) {
	cfg.normalize()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s, err := newCSVSink(accounts, logins, lookups)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return run(cfg, s)
}

// Stream calls emit with every record of a world in output order and
// returns its truth. The record is reused between calls: copy it to keep
// it. An error from emit stops the world and is returned.
func Stream(cfg Config, emit func(*events.Record) error) (*Truth, error) {
	cfg.normalize()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return run(cfg, &recordSink{emit: emit})
}

// run builds the world, spills its events to day buckets, then writes
// accounts created before the window (in creation order) followed by each
// day's records in time order.
func run(cfg Config, s sink) (*Truth, error) {
	cfg.progress(StageBuild, 0, 1)
	w, err := newWorld(cfg)
	if err != nil {
		return nil, err
	}
	w.out, err = newBucketSet(cfg.TempDir, w.start, cfg.Days)
	if err != nil {
		return nil, err
	}
	defer w.out.close()
	w.organicAccounts()
	w.hardInnocents()
	w.plantNetworks()
	cfg.progress(StageGenerate, len(w.created), len(w.created))
	if w.out.err != nil {
		return nil, w.out.err
	}
	for a := int32(0); int(a) < len(w.created) && w.created[a] < w.start; a++ {
		e := ev{kind: evAccount, acct: a, t: w.created[a]}
		if err := s.write(w, &e); err != nil {
			return nil, fmt.Errorf("generate: write: %w", err)
		}
	}
	// One goroutine reads and sorts the next day while this one formats
	// the current day; order is fixed by the channel, so output is the same.
	type dayEvents struct {
		evs []ev
		err error
	}
	days := make(chan dayEvents, 1)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(days)
		for d := range cfg.Days {
			evs, err := w.out.day(d, nil)
			select {
			case days <- dayEvents{evs, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() { close(done); <-finished }()
	written := 0
	for de := range days {
		if de.err != nil {
			return nil, de.err
		}
		cfg.progress(StageWrite, written, cfg.Days)
		written++
		for i := range de.evs {
			if err := s.write(w, &de.evs[i]); err != nil {
				return nil, fmt.Errorf("generate: write: %w", err)
			}
		}
	}
	if err := s.flush(); err != nil {
		return nil, fmt.Errorf("generate: write: %w", err)
	}
	cfg.progress(StageWrite, cfg.Days, cfg.Days)
	return w.truth(), nil
}
