package ingest

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// LoadCSVBaseline is the baseline of our transactional load: it writes the
// rows Run would merge from paths as CSV files (store.LoadCSVFiles; not
// timed), empties the database and times Neo4j's LOAD CSV of them. It
// returns the time and the number of records Run read, so that the
// baseline's records/s compares with Run's. It clears the database: a
// benchmark's, never one holding data.
func LoadCSVBaseline(ctx context.Context, s *store.Store, paths []string, opts Options) (took time.Duration, records int64, err error) {
	dir, err := os.MkdirTemp("", "lockstep-loadcsv-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	cs := &csvSink{dir: dir, files: map[string]*csvOut{}}
	// Writing the files is not the baseline's work: no checkpoints, and no
	// progress lines that would read as a load's.
	opts.StateDir, opts.Resume, opts.Progress = "", false, nil
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sum, err := Run(ctx, cs, paths, opts)
	if err != nil {
		return 0, 0, err
	}
	if err := cs.close(); err != nil {
		return 0, 0, err
	}
	if err := s.Clear(ctx); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := s.LoadCSV(ctx, dir); err != nil {
		return 0, 0, err
	}
	return time.Since(start), sum.Records, nil
}

// csvSink captures the rows a load would write, as the CSV files of
// store.LoadCSVFiles.
type csvSink struct {
	mu    sync.Mutex
	dir   string
	files map[string]*csvOut
}

type csvOut struct {
	f *os.File
	b *bufio.Writer
	w *csv.Writer
}

func (c *csvSink) write(name string, rows [][]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.files[name]
	if o == nil {
		f, err := os.Create(filepath.Join(c.dir, name))
		if err != nil {
			return err
		}
		o = &csvOut{f: f, b: bufio.NewWriterSize(f, 1<<20)}
		o.w = csv.NewWriter(o.b)
		for _, lf := range store.LoadCSVFiles {
			if lf.Name == name {
				o.w.Write(lf.Header)
			}
		}
		c.files[name] = o
	}
	return o.w.WriteAll(rows)
}

func (c *csvSink) close() error {
	// Every file LOAD CSV reads must exist, with its header at least.
	for _, lf := range store.LoadCSVFiles {
		if c.files[lf.Name] == nil {
			if err := c.write(lf.Name, nil); err != nil {
				return err
			}
		}
	}
	for _, o := range c.files {
		o.w.Flush()
		if err := o.b.Flush(); err != nil {
			return err
		}
		if err := o.f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *csvSink) MergeAccounts(_ context.Context, rows []store.AccountRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		v := ""
		if r.Verified != nil {
			v = strconv.FormatBool(*r.Verified)
		}
		out[i] = []string{r.ID, r.Handle, csvTime(r.CreatedAt), r.Country, v}
	}
	return c.write("accounts.csv", out)
}

func (c *csvSink) MergeIPs(_ context.Context, rows []store.IPRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		asn := ""
		if r.ASN != 0 {
			asn = strconv.FormatUint(uint64(r.ASN), 10)
		}
		out[i] = []string{r.Addr, asn, r.ASOrg, r.Country, r.Kind}
	}
	return c.write("ips.csv", out)
}

func (c *csvSink) MergeDevices(_ context.Context, rows []store.DeviceRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.ID, r.OS, r.Client}
	}
	return c.write("devices.csv", out)
}

// MergeTargets writes nothing: looked_up.csv carries each target's
// properties, and its statement MERGEs the target.
func (c *csvSink) MergeTargets(context.Context, []store.TargetRow) error { return nil }

func (c *csvSink) MergeMatched(_ context.Context, rows []store.MatchRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.Target, r.Account}
	}
	return c.write("matched.csv", out)
}

func (c *csvSink) WriteEdges(_ context.Context, _, rel string, rows []store.EdgeRow) error {
	out := make([][]string, len(rows))
	for i, r := range rows {
		row := []string{r.From, r.To, csvTime(r.First), csvTime(r.Last), strconv.FormatInt(r.Count, 10), strconv.FormatInt(r.Hits, 10)}
		if t := r.Target; t != nil {
			row = append(row, t.Masked, t.Kind, t.Region, t.Block, strconv.Itoa(t.Offset))
		}
		out[i] = row
	}
	switch rel {
	case store.RelLookedUp:
		return c.write("looked_up.csv", out)
	case store.RelUsedIP:
		return c.write("used_ip.csv", out)
	}
	return c.write("used_device.csv", out)
}

func (c *csvSink) IngestBatches(context.Context, string) (map[string]bool, error) {
	return nil, nil
}
func (c *csvSink) MarkIngestBatch(context.Context, string, map[string]any) error { return nil }
