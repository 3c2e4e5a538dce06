package generate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/lockstep-dev/lockstep/events"
)

// testWorld is one generated world kept in memory for the property tests.
type testWorld struct {
	truth    *Truth
	all      []events.Record // output order
	accounts map[string]*events.Record
	order    []string // account ids in output order
	logins   []*events.Record
	lookups  []*events.Record
}

var (
	worlds  = map[string]*testWorld{}
	worldMu sync.Mutex
)

// loadWorld generates (once per seed and test binary) a 20,000-account
// world through Stream.
func loadWorld(t testing.TB, seed uint64) *testWorld {
	return loadConfig(t, Config{Accounts: 20000, Seed: seed})
}

// loadAdversaryWorld is loadWorld with the evasion families.
func loadAdversaryWorld(t testing.TB, seed uint64) *testWorld {
	return loadConfig(t, Config{Accounts: 20000, Seed: seed, Adversary: true})
}

func loadConfig(t testing.TB, cfg Config) *testWorld {
	t.Helper()
	worldMu.Lock()
	defer worldMu.Unlock()
	key := fmt.Sprintf("%d/%v", cfg.Seed, cfg.Adversary)
	if w := worlds[key]; w != nil {
		return w
	}
	cfg.TempDir = t.TempDir()
	tw := &testWorld{accounts: map[string]*events.Record{}, all: make([]events.Record, 0, 300000)}
	tr, err := Stream(cfg, func(r *events.Record) error {
		tw.all = append(tw.all, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range tw.all {
		r := &tw.all[i]
		switch r.Kind {
		case events.KindAccount:
			tw.accounts[r.ID] = r
			tw.order = append(tw.order, r.ID)
		case events.KindLogin:
			tw.logins = append(tw.logins, r)
		case events.KindLookup:
			tw.lookups = append(tw.lookups, r)
		}
	}
	tw.truth = tr
	worlds[key] = tw
	return tw
}

var testSeeds = []uint64{1, 2, 3}

func hashDir(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	slices.Sort(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(n), len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	for _, format := range []string{FormatNDJSON, FormatCSV} {
		t.Run(format, func(t *testing.T) {
			gen := func(seed uint64) string {
				dir := t.TempDir()
				if _, err := ToDir(Config{Accounts: 3000, Seed: seed, Format: format}, dir); err != nil {
					t.Fatal(err)
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.IsDir() {
						t.Errorf("temporary directory %s left behind", e.Name())
					}
				}
				return hashDir(t, dir)
			}
			a, b, c := gen(7), gen(7), gen(8)
			if a != b {
				t.Errorf("seed 7 twice: %s != %s", a, b)
			}
			if a == c {
				t.Errorf("seeds 7 and 8 gave the same world %s", a)
			}
		})
	}
}

func TestStreamEqualsNDJSON(t *testing.T) {
	cfg := Config{Accounts: 2000, Seed: 11, Adversary: true} // every kind of target, invalid numbers too
	var buf bytes.Buffer
	if _, err := WriteNDJSON(cfg, &buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	n := 0
	_, err := Stream(cfg, func(r *events.Record) error {
		if !sc.Scan() {
			return fmt.Errorf("NDJSON ended before record %d", n+1)
		}
		n++
		// The hand-written NDJSON must be exactly what encoding/json makes
		// of the same record, so ingest sees the documented wire format.
		want, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if got := sc.Bytes(); !bytes.Equal(got, want) {
			return fmt.Errorf("line %d:\n got %s\nwant %s", n, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Scan() {
		t.Errorf("NDJSON has more than the %d streamed records", n)
	}
}

func TestCSVEqualsNDJSON(t *testing.T) {
	cfg := Config{Accounts: 2000, Seed: 12, Adversary: true}
	var nd bytes.Buffer
	if _, err := WriteNDJSON(cfg, &nd); err != nil {
		t.Fatal(err)
	}
	var want [3][]events.Record // accounts, logins, lookups in NDJSON order
	dec := json.NewDecoder(&nd)
	for {
		var r events.Record
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		want[slices.Index([]string{events.KindAccount, events.KindLogin, events.KindLookup}, r.Kind)] = append(
			want[slices.Index([]string{events.KindAccount, events.KindLogin, events.KindLookup}, r.Kind)], r)
	}
	var files [3]bytes.Buffer
	if _, err := WriteCSV(cfg, &files[0], &files[1], &files[2]); err != nil {
		t.Fatal(err)
	}
	cols := [3][]string{events.AccountColumns, events.LoginColumns, events.LookupColumns}
	for i := range files {
		rows, err := csv.NewReader(&files[i]).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], cols[i]) {
			t.Fatalf("file %d header %v, want %v", i, rows[0], cols[i])
		}
		rows = rows[1:]
		if len(rows) != len(want[i]) {
			t.Fatalf("file %d: %d rows, NDJSON has %d records", i, len(rows), len(want[i]))
		}
		for j, row := range rows {
			if got := fromCSV(t, i, row); !recordsEqual(got, want[i][j]) {
				t.Fatalf("file %d row %d:\n got %+v\nwant %+v", i, j+2, got, want[i][j])
			}
		}
	}
}

func recordsEqual(a, b events.Record) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func fromCSV(t *testing.T, kind int, row []string) events.Record {
	t.Helper()
	tm := func(s string) *events.Time {
		v, err := events.ParseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return events.NewTime(v)
	}
	switch kind {
	case 0:
		v, err := strconv.ParseBool(row[4])
		if err != nil {
			t.Fatal(err)
		}
		return events.Record{Kind: events.KindAccount, ID: row[0], Handle: row[1], CreatedAt: tm(row[2]), Country: row[3], Verified: v}
	case 1:
		asn, err := strconv.ParseUint(row[3], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		return events.Record{Kind: events.KindLogin, Account: row[0], Time: tm(row[1]), IP: row[2], IPASN: uint32(asn), IPASOrg: row[4],
			IPCountry: row[5], IPKind: row[6], Device: row[7], DeviceOS: row[8], DeviceClient: row[9]}
	default:
		return events.Record{Kind: events.KindLookup, Account: row[0], Time: tm(row[1]), Target: row[2], TargetKind: row[3], Region: row[4], Matched: row[5]}
	}
}

// TestPhoneNumbersValid checks every distinct number of a 5,000-account
// world, per seed (libphonenumber validation is slow, about 50µs a number).
func TestPhoneNumbersValid(t *testing.T) {
	for _, seed := range testSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			seen := map[string]bool{}
			_, err := Stream(Config{Accounts: 5000, Seed: seed}, func(r *events.Record) error {
				if r.Kind != events.KindLookup || r.TargetKind != events.TargetPhone || seen[r.Target] {
					return nil
				}
				seen[r.Target] = true
				n, err := phonenumbers.Parse(r.Target, "")
				if err != nil {
					return fmt.Errorf("%s: %w", r.Target, err)
				}
				if !phonenumbers.IsValidNumber(n) {
					return fmt.Errorf("%s is not a valid number", r.Target)
				}
				if ci := countryIndex(phonenumbers.GetRegionCodeForNumber(n)); ci < 0 || !strings.HasPrefix(r.Target, "+"+countries[ci].cc) {
					return fmt.Errorf("%s is in region %s, not one of the world's countries", r.Target, phonenumbers.GetRegionCodeForNumber(n))
				}
				if got := phonenumbers.Format(n, phonenumbers.E164); got != r.Target {
					return fmt.Errorf("%s is not in E.164 form (%s)", r.Target, got)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d distinct numbers valid", len(seen))
		})
	}
}

func TestNumberPlansValidate(t *testing.T) {
	// Every country must offer far more valid blocks than the largest world
	// needs (accounts/100 for its share of a 1,000,000-account world).
	for ci, c := range countries {
		need := int(c.weight*MaxAccounts*1.2)/100 + 1
		ps, err := newPhoneSpace(ci, need, 3*need, 1)
		if err != nil {
			t.Errorf("%s: %v", c.code, err)
			continue
		}
		for _, k := range []uint64{0, ps.size / 2, ps.size - 1, ps.full - 1} {
			s := ps.number(k)
			n, err := phonenumbers.Parse(s, "")
			if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.GetRegionCodeForNumber(n) != c.code {
				t.Errorf("%s: number %d (%s) invalid", c.code, k, s)
			}
		}
	}
}

func TestReferencesAndOrder(t *testing.T) {
	for _, seed := range testSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := loadWorld(t, seed)
			start, end := w.truth.Params.Start, w.truth.Params.End
			if len(w.accounts) != w.truth.Params.Accounts || len(w.order) != len(w.accounts) {
				t.Fatalf("%d accounts (%d ids), want %d", len(w.order), len(w.accounts), w.truth.Params.Accounts)
			}
			var last time.Time
			inWindow := false
			for i, r := range w.all {
				var at time.Time
				switch r.Kind {
				case events.KindAccount:
					at = r.CreatedAt.Time
				default:
					at = r.Time.Time
					inWindow = true
					a := w.accounts[r.Account]
					if a == nil {
						t.Fatalf("record %d: %s of unknown account %s", i+1, r.Kind, r.Account)
					}
					if at.Before(a.CreatedAt.Time) {
						t.Fatalf("record %d: %s of %s at %s before its creation %s", i+1, r.Kind, r.Account, at, a.CreatedAt.Time)
					}
					if at.Before(start) || !at.Before(end) {
						t.Fatalf("record %d: time %s outside the window", i+1, at)
					}
					if r.Matched != "" {
						m := w.accounts[r.Matched]
						if m == nil {
							t.Fatalf("record %d: matched unknown account %s", i+1, r.Matched)
						}
						if m.CreatedAt.Time.After(at) {
							t.Fatalf("record %d: matched %s created after the lookup", i+1, r.Matched)
						}
					}
				}
				if inWindow && r.Kind == events.KindAccount && at.Before(start) {
					t.Fatalf("record %d: account created before the window after window events", i+1)
				}
				if at.Before(last) {
					t.Fatalf("record %d at %s before the previous record at %s", i+1, at, last)
				}
				last = at
			}
			for _, n := range w.truth.Networks {
				for _, m := range n.Members {
					if w.accounts[m] == nil {
						t.Fatalf("network %s member %s is not an account", n.ID, m)
					}
				}
			}
			planted := w.truth.Planted()
			for _, h := range w.truth.HardCases {
				for _, a := range h.Accounts {
					if w.accounts[a] == nil {
						t.Fatalf("hard case %s account %s is not an account", h.ID, a)
					}
					if planted[a] != nil {
						t.Fatalf("hard case %s account %s is planted in %s", h.ID, a, planted[a].ID)
					}
				}
			}
			if got := len(w.logins) + len(w.lookups); got != w.truth.Stats.Logins+w.truth.Stats.Lookups {
				t.Errorf("%d events, truth counts %d", got, w.truth.Stats.Logins+w.truth.Stats.Lookups)
			}
		})
	}
}

// TestMatchConsistent: a target always answers with the same account (or
// none once it exists), whoever looks it up.
func TestMatchConsistent(t *testing.T) {
	w := loadWorld(t, 1)
	owner := map[string]string{}
	for _, r := range w.lookups {
		if r.Matched == "" {
			continue
		}
		if o, ok := owner[r.Target]; ok && o != r.Matched {
			t.Fatalf("%s matched %s and %s", r.Target, o, r.Matched)
		}
		owner[r.Target] = r.Matched
	}
	for _, r := range w.lookups {
		if o, ok := owner[r.Target]; ok && r.Matched == "" && !w.accounts[o].CreatedAt.After(r.Time.Time) {
			t.Fatalf("%s looked up at %s unmatched though %s existed", r.Target, r.Time, o)
		}
	}
}

func TestVolume(t *testing.T) {
	for _, seed := range testSeeds {
		w := loadWorld(t, seed)
		per := float64(len(w.logins)+len(w.lookups)) / float64(len(w.accounts))
		t.Logf("seed %d: %.1f events per account (%d logins, %d lookups), %d networks, %d planted",
			seed, per, len(w.logins), len(w.lookups), len(w.truth.Networks), w.truth.Stats.PlantedAccounts)
		if per < 7 || per > 14 {
			t.Errorf("seed %d: %.1f events per account, want about 10", seed, per)
		}
		for _, pk := range plantedKinds {
			if w.truth.Stats.NetworksByKind[pk.kind] < 2 {
				t.Errorf("seed %d: %d %s networks, want several", seed, w.truth.Stats.NetworksByKind[pk.kind], pk.kind)
			}
		}
		frac := float64(w.truth.Stats.PlantedAccounts) / float64(len(w.accounts))
		if frac < 0.025 || frac > 0.035 {
			t.Errorf("seed %d: planted share %.3f, want about 0.03", seed, frac)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"too few", Config{Accounts: 999}, "out of range"},
		{"too many", Config{Accounts: MaxAccounts + 1}, "out of range"},
		{"format", Config{Accounts: 1000, Format: "xml"}, "format"},
		{"days", Config{Accounts: 1000, Days: 10}, "days"},
		{"fraction", Config{Accounts: 1000, PlantedFraction: 0.5}, "planted fraction"},
		{"state share", Config{Accounts: 1000, StateLinkedShare: 1.5}, "state-linked share"},
		{"watch list", Config{Accounts: 1000, WatchASNs: []uint32{}}, "watch-list"},
		{"offset", Config{Accounts: 1000, StateUTCOffsetMinutes: 2000}, "offset"},
		{"duplicate asn", Config{Accounts: 1000, WatchASNs: []uint32{7, 7}}, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Stream(tc.cfg, func(*events.Record) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPerm(t *testing.T) {
	for _, n := range []uint64{10000, 30000, 1 << 20, 2_810_000} {
		p := newPerm(n, n*31)
		seen := make([]bool, n)
		for x := range n {
			y := p.fwd(x)
			if y >= n || seen[y] {
				t.Fatalf("n=%d: fwd(%d)=%d out of range or repeated", n, x, y)
			}
			seen[y] = true
			if p.inv(y) != x {
				t.Fatalf("n=%d: inv(fwd(%d)) = %d", n, x, p.inv(y))
			}
		}
	}
}

func TestStreamError(t *testing.T) {
	stop := fmt.Errorf("stop here")
	n := 0
	_, err := Stream(Config{Accounts: 1000, Seed: 1}, func(*events.Record) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "stop here") {
		t.Fatalf("error %v, want the callback's", err)
	}
}

func TestNetworkSizes(t *testing.T) {
	for _, accounts := range []int{1000, 1500, 5000, 20000, 100000} {
		w, err := newWorld(DefaultConfig(accounts, 5))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range w.nets {
			if len(n.members) < 10 || len(n.members) > 200 {
				t.Errorf("%d accounts: %s has %d members, want 10-200", accounts, n.id, len(n.members))
			}
		}
	}
}

func TestTimeFormat(t *testing.T) {
	var f timeFormat
	for _, ts := range []int64{0, 59, 3599, 86399, 86400, 1788220800, 1788220800 + 86399, 1788307200, 1693526400 + 12345, 4102444799} {
		want := time.Unix(ts, 0).UTC().Format(time.RFC3339)
		if got := string(f.append(nil, ts)); got != want {
			t.Errorf("%d: %s, want %s", ts, got, want)
		}
	}
}

// TestConfigVariants: unusual but valid configurations generate worlds
// whose records stay inside the window and whose truth honours the config.
func TestConfigVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"short window", Config{Accounts: 1000, Seed: 3, Days: 30}},
		{"long window", Config{Accounts: 1000, Seed: 3, Days: 366}},
		{"no planted", Config{Accounts: 1000, Seed: 3, PlantedFraction: -1}},
		{"all state", Config{Accounts: 3000, Seed: 3, StateLinkedShare: 1, WatchASNs: []uint32{4200000001}, StateCountry: "RU", StateUTCOffsetMinutes: 180}},
		{"no state", Config{Accounts: 3000, Seed: 3, StateLinkedShare: -1}},
		{"other start", Config{Accounts: 1000, Seed: 3, Start: time.Date(2024, 2, 29, 13, 30, 0, 0, time.FixedZone("x", 3600))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first, last time.Time
			n := 0
			tr, err := Stream(tc.cfg, func(r *events.Record) error {
				if r.Time != nil {
					if first.IsZero() {
						first = r.Time.Time
					}
					last = r.Time.Time
					n++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 || first.Before(tr.Params.Start) || !last.Before(tr.Params.End) {
				t.Errorf("%d events from %s to %s, window %s..%s", n, first, last, tr.Params.Start, tr.Params.End)
			}
			state := 0
			for _, nw := range tr.Networks {
				if nw.StateLinked {
					state++
					if nw.Kind == KindEnumeration && !slices.Equal(nw.ASNs, tr.Params.WatchASNs) && len(nw.ASNs) != 1 {
						t.Errorf("%s: ASNs %v, watch list %v", nw.ID, nw.ASNs, tr.Params.WatchASNs)
					}
				}
			}
			switch tc.name {
			case "no planted":
				if len(tr.Networks) != 0 {
					t.Errorf("%d networks planted", len(tr.Networks))
				}
			case "all state":
				if want := tr.Stats.NetworksByKind[KindEnumeration] + tr.Stats.NetworksByKind[KindMultiCountry]; state != want {
					t.Errorf("%d state-linked networks, want %d", state, want)
				}
			case "no state":
				if state != 0 {
					t.Errorf("%d state-linked networks, want none", state)
				}
			}
		})
	}
}

func TestProgress(t *testing.T) {
	var stages []string
	last := map[string][2]int{}
	cfg := Config{Accounts: 1000, Seed: 1, Progress: func(stage string, done, total int) {
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
		if p := last[stage]; done < p[0] {
			t.Errorf("%s went back from %d to %d", stage, p[0], done)
		}
		last[stage] = [2]int{done, total}
	}}
	if _, err := Stream(cfg, func(*events.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{StageBuild, StageGenerate, StageWrite}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	for _, s := range []string{StageGenerate, StageWrite} {
		if p := last[s]; p[0] != p[1] {
			t.Errorf("%s ended at %d of %d", s, p[0], p[1])
		}
	}
}

func TestToDirReplacesOtherFormat(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{FormatCSV, FormatNDJSON} {
		if _, err := ToDir(Config{Accounts: 1000, Seed: 1, Format: format}, dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{EventsFile, TruthFile, WatchListsFile}; !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v", names, want)
	}
}
