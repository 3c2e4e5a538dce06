package scoring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

const t0 = 1_750_000_000 // a Sunday in June 2025, 15:06 UTC

// world builds a small bipartite graph: a sweeping ring on datacenter IPs,
// an organic family sharing a home IP and a tablet, and organic singles.
func world(t *testing.T) *projection.Bipartite {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	bl := projection.NewBuilder(100)
	// Ring: 20 accounts created within 2 days, 6 IPs in AS 64500, sweeping
	// 4,000 consecutive numbers of +1 415 555 in shuffled order, split.
	for i := range 6 {
		bl.IP(fmt.Sprintf("203.0.113.%d", i), 64500, "Example Hosting", "NL", "datacenter")
	}
	offsets := rnd.Perm(4000)
	for i := range 20 {
		id := fmt.Sprintf("ring%02d", i)
		bl.Account(id, t0-int64(rnd.IntN(2*86400)), "US")
		for j := range 3 {
			bl.Edge(projection.IP, id, fmt.Sprintf("203.0.113.%d", (i+j)%6), t0, t0+86400, 10, 0)
		}
	}
	for j, off := range offsets {
		key := fmt.Sprintf("k%d", off)
		bl.Target(key, "+1415555", int64(off))
		at := t0 - t0%86400 + 2*3600 + int64(j)*5 // 02:00 UTC onwards
		hits := 0
		if off%100 == 0 {
			hits = 1
			bl.Match(key, fmt.Sprintf("victim%d", off))
		}
		bl.Edge(projection.Target, fmt.Sprintf("ring%02d", j%20), key, at, at, 1, hits)
	}
	// Family: 5 accounts, years apart, one home IP and one tablet, each
	// looking up 30 friends (mostly matched), spread over months.
	bl.IP("198.51.100.7", 64496, "Home ISP", "US", "residential")
	for i := range 5 {
		id := fmt.Sprintf("fam%d", i)
		bl.Account(id, t0-int64(i)*400*86400, "US")
		bl.Edge(projection.IP, id, "198.51.100.7", t0-86400*300, t0, 200, 0)
		bl.Edge(projection.Device, id, "tablet", t0-86400*300, t0, 50, 0)
		for range 30 {
			key := fmt.Sprintf("friend%d", rnd.IntN(5000))
			bl.Target(key, "+1650"+fmt.Sprint(100+rnd.IntN(800)), int64(rnd.IntN(10000)))
			at := t0 - int64(rnd.IntN(200*86400))
			bl.Edge(projection.Target, id, key, at, at, 1, 1)
		}
	}
	return bl.Finish()
}

func networks(t *testing.T, b *projection.Bipartite, cfg Config, seeds []int32) []Network {
	t.Helper()
	pr := projection.Project(b, projection.DefaultParams())
	part := community.ConnectedComponents(pr.Graph)
	return Score(Input{B: b, G: pr.Graph, Labels: part.Labels, Count: part.Count, Seeds: seeds, PPR: SeedRank(pr.Graph, seeds)}, cfg)
}

func find(nws []Network, id string) *Network {
	for i := range nws {
		for _, m := range nws[i].Members {
			if m.ID == id && m.Role != RoleVictim {
				return &nws[i]
			}
		}
	}
	return nil
}

func TestScoreRingAboveFamily(t *testing.T) {
	b := world(t)
	cfg := DefaultConfig()
	cfg.WatchASNs = []uint32{64500}
	nws := networks(t, b, cfg, nil)
	ring, fam := find(nws, "ring00"), find(nws, "fam0")
	if ring == nil || fam == nil {
		t.Fatalf("ring or family not scored: %d networks", len(nws))
	}
	t.Logf("ring score %.3f, family score %.3f", ring.Score, fam.Score)
	for _, e := range ring.Evidence {
		t.Log("ring: " + e)
	}
	for _, e := range fam.Evidence {
		t.Log("family: " + e)
	}
	if ring.Size != 20 || ring.Score < cfg.Threshold {
		t.Errorf("ring: size %d score %.3f, want 20 members at or above %.2f", ring.Size, ring.Score, cfg.Threshold)
	}
	if fam.Score >= cfg.Threshold {
		t.Errorf("family scored %.3f, at or above the threshold", fam.Score)
	}
	var sum float64
	for _, s := range ring.Signals {
		sum += s.Contribution
	}
	if math.Abs(sum-ring.Score) > 1e-9 {
		t.Errorf("contributions sum to %v, score is %v", sum, ring.Score)
	}
	first := ring.Evidence[0]
	for _, want := range []string{"20 accounts", "6 datacenter/VPN IPs", "6 of 6 IPs in AS 64500", "4,000 distinct numbers in 40 swept groups of 100 numbers in +1 415-555-xxxx", "shuffled", "split among 20 members", "between 02:00 and 07:00 UTC"} {
		if !strings.Contains(first, want) {
			t.Errorf("evidence %q lacks %q", first, want)
		}
	}
	raw := regexp.MustCompile(`\d{7,}`)
	for _, e := range ring.Evidence {
		if raw.MatchString(strings.ReplaceAll(e, ",", "")) {
			t.Errorf("evidence may show a raw number: %q", e)
		}
	}
	if !ring.StateLinked || len(ring.StateReasons) == 0 {
		t.Errorf("ring on a watched ASN not indicated as possibly state-linked: %v %v", ring.StateConfidence, ring.StateReasons)
	}
	if fam.StateLinked {
		t.Error("family indicated as state-linked")
	}
	victims := 0
	for _, m := range ring.Members {
		if m.Role == RoleVictim {
			victims++
		}
	}
	if victims != 40 {
		t.Errorf("ring lists %d victims, want 40", victims)
	}
}

func TestScoreSeedsRaiseProximity(t *testing.T) {
	b := world(t)
	fam, _ := b.Accounts.Lookup("fam0")
	without := find(networks(t, b, DefaultConfig(), nil), "fam1")
	with := find(networks(t, b, DefaultConfig(), []int32{fam}), "fam1")
	if with.Score <= without.Score {
		t.Errorf("a confirmed seed inside the family did not raise its score: %.3f -> %.3f", without.Score, with.Score)
	}
}

func TestFraudarFindsDenseBlock(t *testing.T) {
	// 10 rows × 10 columns fully connected, plus 90 rows each with one
	// edge to a column of their own.
	var edges [][2]int32
	for r := range 10 {
		for c := range 10 {
			edges = append(edges, [2]int32{int32(r), int32(c)})
		}
	}
	for r := 10; r < 100; r++ {
		edges = append(edges, [2]int32{int32(r), int32(r)})
	}
	w := make([]float64, 100)
	for i := range w {
		w[i] = 1
	}
	db := fraudar(100, 100, edges, w)
	if db.Rows != 10 || db.Cols != 10 || math.Abs(db.Density-5) > 1e-9 {
		t.Errorf("fraudar = %+v, want the 10×10 block of density 5", db)
	}
}

func TestPersonalizedPageRank(t *testing.T) {
	b := world(t)
	pr := projection.Project(b, projection.DefaultParams())
	seed, _ := b.Accounts.Lookup("ring00")
	x := PersonalizedPageRank(pr.Graph, []int32{seed}, 0.15, 50)
	var sum float64
	for _, v := range x {
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("mass %v, want 1", sum)
	}
	other, _ := b.Accounts.Lookup("ring05")
	fam, _ := b.Accounts.Lookup("fam0")
	if !(x[seed] > x[other] && x[other] > 0 && x[fam] == 0) {
		t.Errorf("ppr seed %v, ring member %v, family %v", x[seed], x[other], x[fam])
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body, err string
		check           func(Config) bool
	}{
		{"partial override keeps defaults", "threshold: 0.6\nweights:\n  sweep: 0.5\nwatchASNs: [64500]\n", "", func(c Config) bool {
			return c.Threshold == 0.6 && c.Weights[SigSweep] == 0.5 && c.Weights[SigLockstep] == DefaultConfig().Weights[SigLockstep] && c.WatchASNs[0] == 64500 && c.MinSize == 5
		}},
		{"json works", `{"minSize": 8, "watchTimeZones": [{"name": "IRST", "offset": 3.5}]}`, "", func(c Config) bool {
			return c.MinSize == 8 && c.WatchTimeZones[0].Offset == 3.5
		}},
		{"unknown field", "treshold: 0.6\n", "treshold", nil},
		{"unknown signal", "weights:\n  vibes: 0.5\n", "vibes", nil},
		{"weight out of range", "weights:\n  sweep: 1.5\n", "0..1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

func TestNum(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {18240, "18,240"}, {1234567, "1,234,567"}, {-4500, "-4,500"}} {
		if got := num(c.in); got != c.want {
			t.Errorf("num(%d) = %q, want %q", c.in, got, c.want)
		}
	}
}
