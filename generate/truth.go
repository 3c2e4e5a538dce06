package generate

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

func sorted(as []int32) []int32 {
	out := slices.Clone(as)
	slices.Sort(out)
	return out
}

// TruthVersion is the schema version of truth.json.
const TruthVersion = 1

// Truth is the ground truth of a world, written as DIR/truth.json
// (docs/GENERATOR.md describes every field).
type Truth struct {
	Version   int        `json:"version"`
	Params    Params     `json:"params"`
	Stats     Stats      `json:"stats"`
	Networks  []Network  `json:"networks"`
	HardCases []HardCase `json:"hard_cases"`
}

// Params are the world's parameters after defaults were applied.
type Params struct {
	Accounts              int       `json:"accounts"`
	Seed                  uint64    `json:"seed"`
	Start                 time.Time `json:"start"`
	End                   time.Time `json:"end"`
	Days                  int       `json:"days"`
	PlantedFraction       float64   `json:"planted_fraction"`
	StateLinkedShare      float64   `json:"state_linked_share"`
	WatchASNs             []uint32  `json:"watch_asns"`
	StateCountry          string    `json:"state_country"`
	StateUTCOffsetMinutes int       `json:"state_utc_offset_minutes"`
	// Adversary is set when the world holds the evasion families.
	Adversary bool `json:"adversary,omitempty"`
	BlockSize int  `json:"block_size"`
	// NumberBlocks is, per country, how many blocks of BlockSize numbers
	// its phone space holds; accounts fill about 1% of it.
	NumberBlocks map[string]int `json:"number_blocks"`
}

// Stats counts what was written.
type Stats struct {
	Accounts        int            `json:"accounts"`
	OrganicAccounts int            `json:"organic_accounts"`
	PlantedAccounts int            `json:"planted_accounts"`
	Logins          int            `json:"logins"`
	Lookups         int            `json:"lookups"`
	PlantedByKind   map[string]int `json:"planted_by_kind"`
	NetworksByKind  map[string]int `json:"networks_by_kind"`
}

// Network is one planted network.
type Network struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	StateLinked bool     `json:"state_linked"`
	Operator    Operator `json:"operator"`
	// Members are account ids in creation order.
	Members      []string      `json:"members"`
	CreatedFrom  time.Time     `json:"created_from"`
	CreatedTo    time.Time     `json:"created_to"`
	ActiveFrom   time.Time     `json:"active_from"`
	ActiveTo     time.Time     `json:"active_to"`
	IPs          []string      `json:"ips"`
	ASNs         []uint32      `json:"asns"`
	Devices      []string      `json:"devices"`
	TargetRegion string        `json:"target_region"`
	TargetRanges []TargetRange `json:"target_ranges"`
	Logins       int           `json:"logins"`
	Lookups      int           `json:"lookups"`
	Hits         int           `json:"hits"`
	// Loners are camouflage members that never touched the ring's shared
	// addresses or devices (also listed in Members).
	Loners []string `json:"loners,omitempty"`
	// Victims are the accounts the network's sweep matched (sorted, each
	// once): looked up, not members.
	Victims []string `json:"victims"`
	// Partner is the other ring of a merged_state pair.
	Partner string `json:"partner,omitempty"`
}

// Operator is when a network's operator works.
type Operator struct {
	UTCOffsetMinutes int      `json:"utc_offset_minutes"`
	AllDay           bool     `json:"all_day"`
	LocalHours       [2]int   `json:"local_hours"` // [from, to)
	Weekend          []string `json:"weekend"`
}

// TargetRange is a run of consecutive numbers a network swept, inside one
// block (First and Last share all but the last four digits). A thin_spread
// network lists whole blocks it looked into with Count 0: it took a few
// scattered numbers from each, never a run.
type TargetRange struct {
	Region string `json:"region"`
	First  string `json:"first"`
	Last   string `json:"last"`
	Count  int    `json:"count"`
}

// HardCase is organic activity that looks coordinated but is not: carrier
// NAT pools, family devices, the campus address, celebrities, VPN users.
// Its accounts are all organic.
type HardCase struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Note     string   `json:"note"`
	Accounts []string `json:"accounts"`
	IPs      []string `json:"ips,omitempty"`
	Devices  []string `json:"devices,omitempty"`
	Targets  []string `json:"targets,omitempty"`
}

// ReadTruth reads a truth.json file.
func ReadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("generate: read truth: %w", err)
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("generate: %s: %w", path, err)
	}
	if t.Version != TruthVersion {
		return nil, fmt.Errorf("generate: %s: truth version %d, want %d", path, t.Version, TruthVersion)
	}
	return &t, nil
}

// Planted maps every planted account id to its network.
func (t *Truth) Planted() map[string]*Network {
	m := map[string]*Network{}
	for i := range t.Networks {
		for _, a := range t.Networks[i].Members {
			m[a] = &t.Networks[i]
		}
	}
	return m
}

// HardCaseAccounts returns the accounts of hard cases of the given kinds
// (all kinds when none is given).
func (t *Truth) HardCaseAccounts(kinds ...string) map[string]bool {
	m := map[string]bool{}
	for _, h := range t.HardCases {
		if len(kinds) == 0 || slices.Contains(kinds, h.Kind) {
			for _, a := range h.Accounts {
				m[a] = true
			}
		}
	}
	return m
}

// KindScore is how well a set of flagged accounts covers one planted kind.
type KindScore struct {
	Kind    string  `json:"kind"`
	Planted int     `json:"planted"` // planted accounts of this kind
	Found   int     `json:"found"`   // of them flagged
	Recall  float64 `json:"recall"`
	// Filled by EvaluateNetworks only: accounts in flagged networks
	// attributed to this kind (by the majority of their planted members),
	// and the share of those that are planted accounts of this kind.
	Attributed int     `json:"attributed"`
	Precision  float64 `json:"precision"`
}

// Score is a flagged set measured against the truth.
type Score struct {
	Flagged        int // accounts flagged
	TruePositives  int // flagged and planted
	Precision      float64
	Recall         float64
	ByKind         []KindScore // ordinary kinds, then the evasion families the world holds
	HardCaseHits   int         // flagged accounts that are organic hard cases
	HardCaseByKind map[string]int
	// Filled by EvaluateNetworks only: every hard case with an account in
	// a flagged network, in truth order.
	FalsePositives []CaseHit
}

// CaseHit is an organic hard case that detection flagged.
type CaseHit struct {
	ID, Kind string
	Accounts int   // its accounts in flagged networks
	Networks []int // indexes of those networks in EvaluateNetworks' argument
}

// scoredKinds lists every planted kind in the order of Score.ByKind.
func scoredKinds() []string { return append(PlantedKinds(), adversaryKinds...) }

// Evaluate scores a set of flagged account ids: precision and recall
// overall, recall per planted kind, and how many hard-case accounts were
// flagged (detection should flag none).
func (t *Truth) Evaluate(flagged map[string]bool) Score {
	planted := t.Planted()
	var s Score
	s.HardCaseByKind = map[string]int{}
	found := map[string]int{}
	total := map[string]int{}
	for _, n := range t.Networks {
		total[n.Kind] += len(n.Members)
	}
	for a, ok := range flagged {
		if !ok {
			continue
		}
		s.Flagged++
		if n := planted[a]; n != nil {
			s.TruePositives++
			found[n.Kind]++
		}
	}
	for _, h := range t.HardCases {
		for _, a := range h.Accounts {
			if flagged[a] {
				s.HardCaseHits++
				s.HardCaseByKind[h.Kind]++
			}
		}
	}
	if s.Flagged > 0 {
		s.Precision = float64(s.TruePositives) / float64(s.Flagged)
	}
	if n := len(planted); n > 0 {
		s.Recall = float64(s.TruePositives) / float64(n)
	}
	for i, kind := range scoredKinds() {
		if i >= len(plantedKinds) && total[kind] == 0 {
			continue // an evasion family this world does not hold
		}
		ks := KindScore{Kind: kind, Planted: total[kind], Found: found[kind]}
		if ks.Planted > 0 {
			ks.Recall = float64(ks.Found) / float64(ks.Planted)
		}
		s.ByKind = append(s.ByKind, ks)
	}
	return s
}

// EvaluateNetworks scores flagged networks (each a list of account ids):
// Evaluate over their union, plus per-kind precision. A network is
// attributed to the kind most of its planted members belong to (ties go to
// the kind listed first: enumeration, multicountry, camouflage, lockstep,
// then the evasion families in AdversaryKinds order);
// a network without planted members is attributed to no kind and only
// lowers the overall precision.
func (t *Truth) EvaluateNetworks(networks [][]string) Score {
	planted := t.Planted()
	flagged := map[string]bool{}
	attributed := map[string]int{}
	correct := map[string]int{}
	for _, members := range networks {
		count := map[string]int{}
		for _, a := range members {
			flagged[a] = true
			if n := planted[a]; n != nil {
				count[n.Kind]++
			}
		}
		kind, best := "", 0
		for _, k := range scoredKinds() {
			if count[k] > best {
				kind, best = k, count[k]
			}
		}
		if kind != "" {
			attributed[kind] += len(members)
			correct[kind] += best
		}
	}
	s := t.Evaluate(flagged)
	s.FalsePositives = t.caseHits(networks)
	for i := range s.ByKind {
		ks := &s.ByKind[i]
		ks.Attributed = attributed[ks.Kind]
		if ks.Attributed > 0 {
			ks.Precision = float64(correct[ks.Kind]) / float64(ks.Attributed)
		}
	}
	return s
}

// caseHits lists the hard cases with accounts in networks.
func (t *Truth) caseHits(networks [][]string) []CaseHit {
	in := map[string][]int{}
	for i, members := range networks {
		for _, a := range members {
			in[a] = append(in[a], i)
		}
	}
	var out []CaseHit
	for _, h := range t.HardCases {
		hit := CaseHit{ID: h.ID, Kind: h.Kind}
		for _, a := range h.Accounts {
			if ns := in[a]; len(ns) > 0 {
				hit.Accounts++
				hit.Networks = append(hit.Networks, ns...)
			}
		}
		if hit.Accounts > 0 {
			slices.Sort(hit.Networks)
			hit.Networks = slices.Compact(hit.Networks)
			out = append(out, hit)
		}
	}
	return out
}

// StateScore is how the "possibly state-linked" indicator did on flagged
// networks.
type StateScore struct {
	Planted int `json:"planted"` // planted state-linked networks
	// Found: of them, those whose members mostly sit in flagged networks
	// marked state-linked.
	Found int `json:"found"`
	// Marked: flagged networks marked state-linked; Wrong: of them, those
	// whose members are mostly not from a state-linked planted network.
	Marked int `json:"marked"`
	Wrong  int `json:"wrong"`
}

// EvaluateStateLinked scores the indicator: networks[i] are the members
// flagged network i's indicator rests on (all its members, or the ring
// inside it the indicator names), stateLinked[i] its indicator.
func (t *Truth) EvaluateStateLinked(networks [][]string, stateLinked []bool) StateScore {
	var s StateScore
	planted := t.Planted()
	marked := map[string]bool{}
	for i, members := range networks {
		if !stateLinked[i] {
			continue
		}
		s.Marked++
		state := 0
		for _, a := range members {
			marked[a] = true
			if n := planted[a]; n != nil && n.StateLinked {
				state++
			}
		}
		if 2*state <= len(members) {
			s.Wrong++
		}
	}
	for _, n := range t.Networks {
		if !n.StateLinked {
			continue
		}
		s.Planted++
		in := 0
		for _, a := range n.Members {
			if marked[a] {
				in++
			}
		}
		if 2*in > len(n.Members) {
			s.Found++
		}
	}
	return s
}

// truth assembles the ground truth once every event is written.
func (w *world) truth() *Truth {
	t := &Truth{Version: TruthVersion}
	c := w.cfg
	t.Params = Params{
		Accounts: c.Accounts, Seed: c.Seed, Start: time.Unix(w.start, 0).UTC(), End: time.Unix(w.end, 0).UTC(), Days: c.Days,
		PlantedFraction: c.PlantedFraction, StateLinkedShare: c.StateLinkedShare, WatchASNs: c.WatchASNs,
		StateCountry: c.StateCountry, StateUTCOffsetMinutes: c.StateUTCOffsetMinutes, Adversary: c.Adversary, BlockSize: blockSize,
		NumberBlocks: map[string]int{},
	}
	for ci, ps := range w.spaces {
		t.Params.NumberBlocks[countries[ci].code] = len(ps.blocks)
	}
	t.Stats = Stats{Accounts: len(w.created), Logins: w.logins, Lookups: w.lookups,
		PlantedByKind: map[string]int{}, NetworksByKind: map[string]int{}}
	ids := func(as []int32) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = string(appendAccountID(nil, a))
		}
		return out
	}
	for _, n := range w.nets {
		t.Stats.PlantedAccounts += len(n.members)
		t.Stats.PlantedByKind[n.kind] += len(n.members)
		t.Stats.NetworksByKind[n.kind]++
		tn := Network{
			ID: n.id, Kind: n.kind, StateLinked: n.state, Members: ids(n.members),
			Operator:     Operator{UTCOffsetMinutes: n.sched.utcOffset, AllDay: n.sched.allDay, LocalHours: [2]int{n.sched.from, n.sched.to}, Weekend: []string{}},
			ActiveFrom:   time.Unix(w.start+int64(n.activeFrom)*day, 0).UTC(),
			ActiveTo:     time.Unix(w.start+int64(n.activeTo)*day, 0).UTC(),
			IPs:          w.in.sortedIPStrings(n.ips),
			TargetRegion: countries[n.targetCountry].code, TargetRanges: n.ranges,
			Logins: n.logins, Lookups: n.lookups, Hits: n.hits, ASNs: []uint32{}, Devices: []string{},
		}
		if len(n.loners) > 0 {
			tn.Loners = ids(n.loners)
		}
		if n.partnerOf >= 0 {
			tn.Partner = w.nets[n.partnerOf].id
		}
		victims := slices.Clone(n.victims)
		slices.Sort(victims)
		tn.Victims = ids(slices.Compact(victims))
		if n.sched.allDay {
			tn.Operator.LocalHours = [2]int{0, 24}
		} else {
			for _, d := range n.sched.weekend {
				tn.Operator.Weekend = append(tn.Operator.Weekend, d.String())
			}
		}
		if len(n.members) > 0 {
			tn.CreatedFrom = time.Unix(w.created[n.members[0]], 0).UTC()
			tn.CreatedTo = time.Unix(w.created[n.members[len(n.members)-1]], 0).UTC()
		}
		for _, ip := range n.ips {
			tn.ASNs = append(tn.ASNs, w.in.asnOf(ip).asn)
		}
		slices.Sort(tn.ASNs)
		tn.ASNs = slices.Compact(tn.ASNs)
		devs := map[uint32]bool{}
		for _, d := range n.devices {
			devs[d] = true
		}
		for d := range devs {
			tn.Devices = append(tn.Devices, deviceID(w.key, d))
		}
		slices.Sort(tn.Devices)
		t.Networks = append(t.Networks, tn)
	}
	t.Stats.OrganicAccounts = t.Stats.Accounts - t.Stats.PlantedAccounts

	// Hard cases, organic accounts only.
	pool := func(as int) []string {
		var ips []string
		for off := uint32(1); off <= w.poolSize[as]; off++ {
			ips = append(ips, w.in.ipString(ipID(as, off)))
		}
		return ips
	}
	for ci := range countries {
		for k := range 2 {
			as := w.in.mobile[ci][k]
			var accts []int32
			for _, a := range w.byCountry[ci] {
				if w.role[a] == 0 && int(w.carrier[a]) == k+1 {
					accts = append(accts, a)
				}
			}
			t.HardCases = append(t.HardCases, HardCase{
				ID: fmt.Sprintf("carrier-nat-%d", w.in.asns[as].asn), Kind: HardCarrierNAT,
				Note:     fmt.Sprintf("%s subscribers behind %d carrier-grade NAT addresses of AS %d", w.in.asns[as].org, len(pool(as)), w.in.asns[as].asn),
				Accounts: ids(accts), IPs: pool(as),
			})
		}
	}
	for i, fam := range w.families {
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("family-device-%d", i+1), Kind: HardFamilyDevice, Note: "one household sharing a tablet, some evenings all on it looking up the same contacts",
			Accounts: ids(fam), Devices: []string{deviceID(w.key, familyDeviceBase+uint32(i))},
		})
	}
	t.HardCases = append(t.HardCases, HardCase{
		ID: "campus-1", Kind: HardCampus, Note: "students behind one campus address, most signing up in the same week",
		Accounts: ids(w.campus), IPs: []string{w.in.ipString(w.campusIP)},
	})
	var celebTargets []string
	for _, a := range w.celebs {
		celebTargets = append(celebTargets, w.spaces[w.country[a]].number(w.phone(a)), string(w.appendEmail(nil, a)))
	}
	t.HardCases = append(t.HardCases, HardCase{
		ID: "celebrities", Kind: HardCelebrity, Note: "popular accounts looked up by many", Accounts: ids(w.celebs), Targets: celebTargets,
	})
	for i, o := range w.offices {
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("office-%d", i+1), Kind: HardOffice,
			Note:     "employees of one company behind its cloud-hosted egress addresses (datacenter kind), aged accounts, organic lookups",
			Accounts: ids(o.accounts), IPs: w.in.sortedIPStrings(o.ips),
		})
	}
	for i, g := range w.groups[:w.nFriends] {
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("friend-group-%d", i+1), Kind: HardFriendGroup,
			Note:     "friends who installed the app within 15 minutes and synced overlapping address books",
			Accounts: ids(g),
		})
	}
	for i, g := range w.groups[w.nFriends:] {
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("university-club-%d", i+1), Kind: HardUniversityClub,
			Note:     "students who all signed up within one week, meet at one student house and share contacts",
			Accounts: ids(g), IPs: []string{w.in.ipString(w.clubIP[i])},
		})
	}
	teamN := map[string]int{}
	for _, tm := range w.teams {
		teamN[tm.kind]++
		note := "a marketing team looking up hundreds of customer numbers of one list in one afternoon from its office egress address"
		if tm.kind == HardSupportDesk {
			note = "support agents checking callers' numbers across many blocks on many days from their office egress address"
		}
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("%s-%d", strings.ReplaceAll(tm.kind, "_", "-"), teamN[tm.kind]), Kind: tm.kind, Note: note,
			Accounts: ids(sorted(tm.accounts)), IPs: []string{w.in.ipString(tm.ip)},
		})
	}
	for i, a := range w.syncers {
		t.HardCases = append(t.HardCases, HardCase{
			ID: fmt.Sprintf("addressbook-sync-%d", i+1), Kind: HardAddressbookSync,
			Note:     "one person re-uploading a large address book from a new phone after a migration",
			Accounts: ids([]int32{a}), Devices: []string{deviceID(w.key, uint32(2*a+1))},
		})
	}
	var vpnUsers []int32
	for a := range w.flags {
		if w.role[a] == 0 && w.flags[a]&flagVPN != 0 {
			vpnUsers = append(vpnUsers, int32(a))
		}
	}
	var vpnIPs []string
	for _, as := range w.in.vpn {
		vpnIPs = append(vpnIPs, pool(as)...)
	}
	t.HardCases = append(t.HardCases, HardCase{
		ID: "vpn-users", Kind: HardVPN, Note: "people using commercial VPN exits now and then", Accounts: ids(vpnUsers), IPs: vpnIPs,
	})
	return t
}
