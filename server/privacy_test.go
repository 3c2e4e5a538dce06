package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/detect"
	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/ingest"
	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
)

// minCandidates is the bound of docs/API.md, "Privacy of looked-up
// numbers": whatever a role reads, every looked-up number stays one of at
// least this many.
const minCandidates = 100

// privacyWorld is a generated world as the generator wrote it: the raw
// value of every target, by key, and every account id.
type privacyWorld struct {
	dir      string
	raw      map[string]string // target key -> normalised raw value (E.164 or e-mail)
	accounts []string
	runID    string
}

// loadPrivacyWorld generates a world, ingests it as `lockstep ingest` does
// and runs detection with default parameters.
func loadPrivacyWorld(h *harness, ctx context.Context) *privacyWorld {
	t := h.t
	w := &privacyWorld{dir: t.TempDir(), raw: map[string]string{}}
	f, err := os.Create(filepath.Join(w.dir, generate.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	hs := target.NewHasher(hmacKey)
	_, err = generate.Stream(generate.DefaultConfig(generate.MinAccounts, 18), func(r *events.Record) error {
		switch r.Kind {
		case events.KindAccount:
			w.accounts = append(w.accounts, r.ID)
		case events.KindLookup:
			tg, err := hs.Normalise(r.Target, r.TargetKind, r.Region)
			if err != nil {
				return fmt.Errorf("generated target does not normalise: %w", err)
			}
			if tg.Kind == target.Phone {
				w.raw[tg.Key] = tg.Block + fmt.Sprintf("%04d", tg.Offset)
			} else {
				w.raw[tg.Key] = strings.ToLower(strings.TrimSpace(r.Target))
			}
		}
		return enc.Encode(r)
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Run(ctx, h.st, []string{filepath.Join(w.dir, generate.EventsFile)}, ingest.Options{
		HMACKey: hmacKey, StateDir: w.dir, Log: slog.New(slog.NewTextHandler(h.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected > 0 {
		t.Fatalf("ingest rejected %d generated records", sum.Rejected)
	}
	res, err := detect.Run(ctx, h.st, detect.DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.runID = res.RunID
	return w
}

// TestNoNumberRebuilt is issue 18's attack on its first finding: as a
// viewer and as an analyst, read everything the API says about the
// targets of a generated world (accounts' lookups and sweeps, targets and
// the accounts they matched, networks with their handles, labels, signals, evidence, shared
// resources and members' evidence, neighborhoods, suspension lists and
// their exports), rebuild every looked-up number as tightly as the answers
// allow, and check that each stays one of at least 100 numbers, and that
// the true number is among them (a reconstruction that loses it proves
// nothing). It also scans everything the test produced for raw values.
func TestNoNumberRebuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a generated world into Neo4j and runs detection")
	}
	var w *privacyWorld
	// A long time limit: the test reads much on a shared machine, and a cut
	// field would only make the attack see less.
	h := newHarnessSeeded(t, server.Config{Timeout: 2 * time.Minute}, func(h *harness, ctx context.Context) { w = loadPrivacyWorld(h, ctx) })
	t.Cleanup(func() { scanWorld(t, h, w) })
	// The roles read the world at once: each reads it all, one request at
	// a time, and the analyst's one write (a suspension list) is nothing
	// the viewer reads.
	for _, role := range []store.Role{viewer, analyst} {
		t.Run(strings.ToLower(string(role)), func(t *testing.T) {
			t.Parallel()
			a := &attacker{h: h.sub(t), role: role, masked: map[string]string{}, sweeps: map[string][]sweepBlock{}, lookups: map[string][]string{}}
			a.read(w)
			a.rebuild(t, w)
		})
	}
}

// attacker holds what one role read.
type attacker struct {
	h       *harness
	role    store.Role
	masked  map[string]string       // target key -> masked form
	sweeps  map[string][]sweepBlock // account -> Account.sweep
	lookups map[string][]string     // account -> keys of the targets it looked up
	texts   []string                // every body, for patterns in free text
}

// note records every Target (key and masked) and neighborhood node of a
// response, wherever it appears.
func (a *attacker) note(body json.RawMessage) {
	a.texts = append(a.texts, string(body))
	var walk func(field string, v any)
	walk = func(field string, v any) {
		switch x := v.(type) {
		case map[string]any:
			key, _ := x["key"].(string)
			masked, ok := x["masked"].(string)
			if ok && key != "" {
				a.masked[key] = masked
			}
			// Neighborhood nodes and shared resources: id and label.
			if kind, _ := x["kind"].(string); kind == "TARGET" || field == "targets" {
				id, _ := x["id"].(string)
				label, _ := x["label"].(string)
				a.masked[id] = label
			}
			for f, c := range x {
				walk(f, c)
			}
		case []any:
			for _, c := range x {
				walk(field, c)
			}
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk("", v)
	}
}

func (a *attacker) query(q string, vars map[string]any, out any) {
	a.h.t.Helper()
	r := a.h.do(a.role, q, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		a.h.t.Fatalf("status %d, errors %+v\nquery: %s", r.Status, r.Errors, q)
	}
	a.note(r.Data)
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.h.t.Fatal(err)
		}
	}
}

func (a *attacker) read(w *privacyWorld) {
	for _, id := range w.accounts {
		var got struct {
			Account struct {
				Lookups []struct {
					Target struct{ Key, Kind string }
				}
				Sweep []sweepBlock
			}
		}
		a.query(`query($id: ID!) { account(id: $id) { lookups(first: 100) { first last count hits target { key masked kind region lookerCount matchedAccounts { id } } }
  sweep { block distinct lookups longestRun bins } memberships { network { id } score role } } }`, map[string]any{"id": id}, &got)
		a.sweeps[id] = got.Account.Sweep
		for _, l := range got.Account.Lookups {
			a.lookups[id] = append(a.lookups[id], l.Target.Key)
		}
	}
	// Networks of the run, every member's evidence, and neighborhoods.
	var nets struct {
		Networks struct {
			Edges []struct {
				Node struct {
					ID      string
					Members struct {
						Edges []struct {
							Node struct{ Account struct{ ID string } }
						}
					}
				}
			}
		}
	}
	a.query(`{ networks(first: 50) { edges { node { id handle label evidence signals { name contribution measured detail } stateLinked { reasons }
  members(first: 20) { edges { node { account { id } } } } } } } }`, nil, &nets)
	for i, e := range nets.Networks.Edges {
		a.query(`query($n: ID!) { network(id: $n) { sharedResources { targets { id label members } } victims { account { id } } } }`, map[string]any{"n": e.Node.ID}, nil)
		for j, m := range e.Node.Members.Edges {
			if j >= 5 {
				break
			}
			a.query(`query($n: ID!, $a: ID!) { network(id: $n) { memberEvidence(accountId: $a) { sharedTargets { sharedWith target { key masked } } } } }`,
				map[string]any{"n": e.Node.ID, "a": m.Node.Account.ID}, nil)
			if i < 10 && j < 2 {
				a.query(`query($a: ID!) { neighborhood(accountId: $a, depth: 2, limit: 200) { nodes { id kind label depth } } }`, map[string]any{"a": m.Node.Account.ID}, nil)
			}
		}
	}
	for key := range a.masked {
		a.query(`query($k: ID!) { target(key: $k) { key masked kind region lookerCount matchedAccounts { id } } }`, map[string]any{"k": key}, nil)
		break // one is enough to know the field; the lookups above read all the others
	}
	if a.role == analyst {
		var list struct {
			CreateSuspensionList struct{ List struct{ ID string } }
		}
		a.query(`mutation($run: ID!) { createSuspensionList(criteria: {runId: $run, minScore: 0}, dryRun: false) { count list { id } } }`,
			map[string]any{"run": w.runID}, &list)
		for _, format := range []string{"csv", "ndjson"} {
			a.texts = append(a.texts, a.h.get("/export/suspension-lists/"+list.CreateSuspensionList.List.ID+"?format="+format, a.role))
		}
		// What a case report prints about the list enforcement applied.
		a.query(`query($id: ID!) { suspensionList(id: $id) { criteria exports { by format sha256 rows withheld } } }`,
			map[string]any{"id": list.CreateSuspensionList.List.ID}, nil)
	}
}

// get fetches a path with role's key and records the body.
func (h *harness) get(path string, role store.Role) string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	resp, b := h.send(req, h.keys[role])
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// pattern is what a masked form or label says about a number's digits
// (E.164 without "+"): a digit where it shows one, '?' where it hides one.
func pattern(masked string) string {
	if !strings.HasPrefix(masked, "+") {
		return ""
	}
	var b strings.Builder
	for _, c := range masked[1:] {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '*' || c == 'x':
			b.WriteByte('?')
		}
	}
	return b.String()
}

func matches(p, digits string) bool {
	if len(p) != len(digits) {
		return false
	}
	for i := range p {
		if p[i] != '?' && p[i] != digits[i] {
			return false
		}
	}
	return true
}

// offsetMatches is matches(p4, the four digits of offset o).
func offsetMatches(p4 string, o int) bool {
	for i := 3; i >= 0; i-- {
		if p4[i] != '?' && int(p4[i]-'0') != o%10 {
			return false
		}
		o /= 10
	}
	return true
}

// candidates is a set of numbers: per block (E.164 digits without the last
// four), the offsets still possible.
type candidates map[string]*[10000]bool

func (c candidates) size() int {
	n := 0
	for _, offs := range c {
		for _, ok := range offs {
			if ok {
				n++
			}
		}
	}
	return n
}

// fromSweep is what one account's sweep says about a number it looked up
// that masks as p: it is in one of the account's blocks whose label fits p,
// in a non-empty bin; and where the block's numbers are all one run (its
// distinct count equals its longest run), at an offset that some placement
// of that run consistent with the bins covers.
func fromSweep(p string, blocks []sweepBlock) candidates {
	out := candidates{}
	for _, b := range blocks {
		bp := pattern(b.Block)
		if len(bp) != len(p) || !matches(p[:len(p)-4], bp[:len(bp)-4]) {
			continue
		}
		prefix := p[:len(p)-4]
		if strings.Contains(prefix, "?") {
			prefix = bp[:len(bp)-4]
		}
		if strings.Contains(prefix, "?") {
			continue // the label hides block digits: no finer than the mask
		}
		offs := out[prefix]
		if offs == nil {
			offs = new([10000]bool)
			out[prefix] = offs
		}
		width := 10000 / len(b.Bins)
		if b.LongestRun > 0 && b.LongestRun == b.Distinct {
			for s := 0; s+b.LongestRun <= 10000; s++ {
				if runFits(s, b.LongestRun, width, b.Bins) {
					for o := s; o < s+b.LongestRun; o++ {
						offs[o] = true
					}
				}
			}
			continue
		}
		for i, n := range b.Bins {
			if n > 0 {
				for o := i * width; o < (i+1)*width; o++ {
					offs[o] = true
				}
			}
		}
	}
	return out
}

// runFits reports whether the numbers start..start+n-1 bin to bins.
func runFits(start, n, width int, bins []int) bool {
	for i, want := range bins {
		lo, hi := max(start, i*width), min(start+n, (i+1)*width)
		if max(0, hi-lo) != want {
			return false
		}
	}
	return true
}

// rebuild intersects, per phone target read, its masked form with what the
// sweep of every account that looked it up says, and checks the bound.
func (a *attacker) rebuild(t *testing.T, w *privacyWorld) {
	lookedUpBy := map[string][]string{}
	for acc, keys := range a.lookups {
		for _, k := range keys {
			lookedUpBy[k] = append(lookedUpBy[k], acc)
		}
	}
	checked, narrowest, below, unsound := 0, math.MaxInt, 0, 0
	for key, masked := range a.masked {
		raw, ok := w.raw[key]
		if !ok || !strings.HasPrefix(raw, "+") {
			continue // e-mails: the mask keeps one character of the local part
		}
		digits := raw[1:]
		p := pattern(masked)
		if !matches(p, digits) {
			t.Fatalf("masked form %q does not fit its number", masked)
		}
		// Without sweeps: every digit the mask hides is free.
		n := int(math.Pow10(strings.Count(p, "?")))
		var set candidates
		for _, acc := range lookedUpBy[key] {
			if len(a.sweeps[acc]) >= store.MaxSweepBlocks {
				continue // a cut list may leave the number's block out
			}
			c := fromSweep(p, a.sweeps[acc])
			if set == nil {
				set = c
				continue
			}
			for blk, offs := range set {
				other := c[blk]
				for o := range offs {
					offs[o] = offs[o] && other != nil && other[o]
				}
			}
		}
		if set != nil {
			for blk, offs := range set {
				head := matches(p[:len(p)-4], blk)
				for o := range offs {
					offs[o] = offs[o] && head && offsetMatches(p[len(p)-4:], o)
				}
			}
			blk := digits[:len(digits)-4]
			off, _ := strconv.Atoi(digits[len(digits)-4:])
			if offs := set[blk]; offs == nil || !offs[off] {
				// A reconstruction that loses the true number proves
				// nothing about it: count it apart, show why.
				unsound++
				for _, acc := range lookedUpBy[key] {
					for _, b := range a.sweeps[acc] {
						if bp := pattern(b.Block); len(bp) == len(p) && matches(p[:len(p)-4], bp[:len(bp)-4]) && unsound <= 3 {
							t.Logf("account %s, block %s: distinct %d, longestRun %d, bin %d holds %d", acc, b.Block, b.Distinct, b.LongestRun, off/100, b.Bins[off/100])
						}
					}
				}
				if unsound <= 3 {
					t.Errorf("reconstruction lost the true number of %s… (masked %q): the attack is unsound", key[:8], masked)
				}
				continue
			}
			n = min(n, set.size())
		}
		checked++
		narrowest = min(narrowest, n)
		if n < minCandidates {
			below++
			if below <= 5 {
				t.Errorf("target %s… (masked %q) narrowed to %d candidates, want at least %d", key[:8], masked, n, minCandidates)
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d phone targets read: the attack saw too little to mean anything", checked)
	}
	// Free text (evidence, signals, reasons, exports): no phone-shaped
	// pattern may hide fewer than two digits.
	for _, text := range a.texts {
		for _, m := range phoneShaped.FindAllString(text, -1) {
			p := pattern(m)
			if len(p) >= 7 && strings.Count(p, "?") < 2 {
				t.Errorf("text shows %q: a number to fewer than 100 candidates", m)
			}
		}
	}
	t.Logf("%s: %d phone targets rebuilt, narrowest %d candidates, %d below %d (%d reconstructions unsound)", a.role, checked, narrowest, below, minCandidates, unsound)
	if below > 0 {
		t.Errorf("%d of %d numbers narrowed below %d candidates", below, checked, minCandidates)
	}
}

// phoneShaped finds "+" and a digit followed by digits, spaces, dashes and
// masking characters: masked forms, labels and raw numbers in any text.
var phoneShaped = regexp.MustCompile(`\+[1-9][0-9 \-*x]{5,}[0-9*x]`)

// scanWorld is the privacy scan: no response body, log line, rejects file,
// export or audit record of the test holds a raw number (E.164, its
// digits, its national digits) or a raw e-mail address of the world.
func scanWorld(t *testing.T, h *harness, w *privacyWorld) {
	if w == nil {
		return
	}
	numbers, emails := map[string]bool{}, map[string]bool{}
	for _, raw := range w.raw {
		if strings.HasPrefix(raw, "+") {
			numbers[raw[1:]] = true
		} else {
			emails[raw] = true
		}
	}
	texts := map[string]string{"responses": h.bodies.String(), "logs": h.logs.String()}
	files, _ := filepath.Glob(filepath.Join(w.dir, "*"))
	for _, f := range files {
		if filepath.Base(f) == generate.EventsFile {
			continue // the input itself
		}
		if b, err := os.ReadFile(f); err == nil {
			texts[filepath.Base(f)] = string(b)
		}
	}
	recs, err := h.st.Query(context.Background(), "MATCH (a:Audit) RETURN properties(a) AS p", nil)
	if err != nil {
		t.Fatal(err)
	}
	var audit strings.Builder
	for _, r := range recs {
		b, _ := json.Marshal(r.Values[0])
		audit.Write(append(b, '\n'))
	}
	texts["audit records"] = audit.String()
	found := 0
	for name, text := range texts {
		for _, run := range digitRuns(text) {
			// The number, or its national digits, anywhere in a run of
			// digits (separators between digits removed).
			for i := 0; i < len(run); i++ {
				for j := i + 7; j <= len(run) && j <= i+15; j++ {
					if numbers[run[i:j]] {
						found++
						if found <= 5 {
							t.Errorf("%s hold a raw number of the world (%d digits, at %d of a digit run)", name, j-i, i)
						}
					}
				}
			}
		}
		for _, e := range emailShaped.FindAllString(strings.ToLower(text), -1) {
			if emails[e] {
				found++
				if found <= 5 {
					t.Errorf("%s hold a raw e-mail address of the world", name)
				}
			}
		}
	}
	if len(texts["responses"]) < 1<<20 {
		t.Errorf("the scan saw %d bytes of responses: too little to mean anything", len(texts["responses"]))
	}
	t.Logf("privacy scan: %d texts, %d raw numbers and %d e-mails looked for, %d found", len(texts), len(numbers), len(emails), found)
}

var emailShaped = regexp.MustCompile(`[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]+`)

// digitRuns returns the runs of digits of text, single spaces, dashes,
// dots and brackets between digits removed, so that "415-555-0101" is one.
func digitRuns(text string) []string {
	var out []string
	var cur []byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			cur = append(cur, c)
		case len(cur) > 0 && strings.IndexByte(" -.()", c) >= 0 && i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9':
		default:
			if len(cur) >= 7 {
				out = append(out, string(cur))
			}
			cur = cur[:0]
		}
	}
	if len(cur) >= 7 {
		out = append(out, string(cur))
	}
	return slices.Clip(out)
}
