package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/store"
)

// counter is a ProjectionSink that only counts, so the benchmark below
// times the server's side of the read and the decoding, not a builder.
type counter struct{ nodes, edges int }

func (c *counter) Expect(store.ProjectionSize)                      {}
func (c *counter) Account(int64, string, int64, string, bool)       { c.nodes++ }
func (c *counter) IP(int64, string, uint32, string, string, string) { c.nodes++ }
func (c *counter) Device(int64, string)                             { c.nodes++ }
func (c *counter) Target(int64, string, int64)                      { c.nodes++ }
func (c *counter) Edge(string, int64, int64, int64, int64, int64, int64) {
	c.edges++
}
func (c *counter) Match(int64, int64) { c.edges++ }

// gdsProject is OpenGDS's native projection of the relationships detection
// reads, with their numeric properties (GDS reads no DateTime, so first
// and last are left out: the comparison favours GDS).
const gdsProject = `CALL gds.graph.project('lockstep-bench', ['Account', 'IP', 'Device', 'Target'], {
  USED_IP: {properties: ['count']}, USED_DEVICE: {properties: ['count']},
  LOOKED_UP: {properties: ['count', 'hits']}, MATCHED: {}})
YIELD nodeCount, relationshipCount RETURN nodeCount, relationshipCount`

// BenchmarkReadVsGDS times the packed projection read (lockstep.projection)
// into a counting sink, the same read into detection's bipartite graph
// (detect.ReadVia: what the read stage of a run does) and, in the same run
// against the same server, OpenGDS's native projection of the same
// relationships, and reports them and their ratios to GDS.
// It needs a loaded world on a server started with OpenGDS (docs/NEO4J.md,
// "Plugins and settings"):
//
//	LOCKSTEP_BENCH_STORE=1 NEO4J_URI=bolt://... NEO4J_PASSWORD=... \
//	  go test ./store -run '^$' -bench BenchmarkReadVsGDS -benchtime 1x
func BenchmarkReadVsGDS(b *testing.B) {
	if os.Getenv("LOCKSTEP_BENCH_STORE") == "" || os.Getenv("NEO4J_URI") == "" {
		b.Skip("set LOCKSTEP_BENCH_STORE=1 and NEO4J_URI to a server holding a loaded world, started with OpenGDS")
	}
	c := context.Background()
	cfg, err := config.FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	s, err := store.Open(c, cfg.Neo4jURI, cfg.Neo4jUser, cfg.Neo4jPassword)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(c)
	if _, err := s.Query(c, "RETURN gds.version() AS v", nil); err != nil {
		b.Skipf("the server has no OpenGDS (%v): start it with --plugins (docs/NEO4J.md)", err)
	}
	// One untimed read first, so both reads find the same stores in the page cache.
	var n counter
	if err := s.ReadProjectionVia(c, store.ProjectionPacked, &n, nil); err != nil {
		b.Fatal(err)
	}
	var ours, built, gds time.Duration
	var gdsRels int64
	for b.Loop() {
		n = counter{}
		t := time.Now()
		if err := s.ReadProjectionVia(c, store.ProjectionPacked, &n, nil); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t)
		t = time.Now()
		if _, err := detect.ReadVia(c, s, store.ProjectionPacked); err != nil {
			b.Fatal(err)
		}
		built += time.Since(t)
		t = time.Now()
		recs, err := s.Query(c, gdsProject, nil)
		if err != nil {
			b.Fatal(err)
		}
		gds += time.Since(t)
		if gdsRels, err = store.Get[int64](recs[0], "relationshipCount"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Query(c, "CALL gds.graph.drop('lockstep-bench') YIELD graphName RETURN graphName", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "ours-s")
	b.ReportMetric(gds.Seconds()/float64(b.N), "gds-s")
	b.ReportMetric(ours.Seconds()/gds.Seconds(), "ratio")
	b.ReportMetric(built.Seconds()/float64(b.N), "detection-read-s")
	b.ReportMetric(built.Seconds()/gds.Seconds(), "detection-ratio")
	b.ReportMetric(float64(n.edges), "relationships")
	b.ReportMetric(float64(gdsRels), "gds-relationships")
}
