package scoring

import (
	"fmt"
	"slices"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/csr"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
)

// ringState looks for a state-flavoured ring inside a flagged network
// whose indicator did not fire as a whole (whole false), or that fired as
// a whole but may owe it to one of several rings (whole true). Community
// detection merges rings that share a few addresses or sweep neighbouring
// blocks, and a merged network shows both rings' weeks at once: a partner
// working on the other ring's weekend fills it, so the week reads as not
// foreign. The rings are found from structure alone, never from the week
// being tested (picking members by their days would find a "weekend" in
// any network whose members work a few days each): Leiden on the
// network's own similarity subgraph (shared infrastructure, synchrony,
// shared sweeps) splits it where it is linked least, each part of at least
// cfg.MinSize members (a network in its own right) is measured like a
// network, a part that does not fire is split again while it has room for
// two rings, and the parts whose indicator fires are measured again
// together, which must fire too. What Leiden keeps whole, and a part with
// room for a ring and a stray account, is split on the links of members
// sharing an address or device alone: Leiden joins an account to its only
// neighbours, so a lone sweeper tied to a ring by a swept block stays in
// the ring's part, where its weekday lookups can hide the ring's weekend.
// The more parts are measured, the likelier one shows a weekend by chance
// (a part of 7 of an ordinary ring's 30 members kept a Friday weekend with
// 71% of its lookups in working hours), so a part counts only when its
// week is at full strength (any foreign week when whole: the network is
// marked already, and only what the mark rests on is chosen), and the ring
// found must hold at least a quarter of the network. It returns the ring's
// members, its confidence and reasons, each saying that it rests on a ring
// of so many members; nothing when no ring qualifies or the network has no
// room for two rings. It costs a Leiden run over the internal edges of the
// network and of each part split again, a pass over each part's lookup
// times, and a whole measurement of the few parts that keep a foreign
// week.
func ringState(in Input, cfg Config, c int32, ms []int32, score float64, whole bool) (members []int32, conf float64, reasons []StateReason) {
	if len(ms) < 2*cfg.MinSize {
		return nil, 0, nil
	}
	var union []int32
	var visit func(ms []int32, infra bool)
	visit = func(ms []int32, infra bool) {
		parts := rings(in, ms, infra)
		if len(parts) < 2 {
			if !infra {
				visit(ms, true)
			}
			return
		}
		for _, part := range parts {
			if len(part) < cfg.MinSize {
				continue
			}
			if w := partWeek(in, cfg, part); w >= 1 || (whole && w > 0) {
				f, _ := measureBehaviour(in, cfg, part)
				if fired, _, _ := stateIndicator(f, cfg, score); fired {
					union = append(union, part...)
					continue
				}
			}
			switch {
			case len(part) >= 2*cfg.MinSize:
				visit(part, infra)
			case !infra && len(part) > cfg.MinSize:
				visit(part, true)
			}
		}
	}
	visit(ms, false)
	if len(union) == 0 || 4*len(union) < len(ms) {
		return nil, 0, nil
	}
	slices.Sort(union)
	f, _ := measureBehaviour(in, cfg, union)
	fired, conf, rs := stateIndicator(f, cfg, score)
	if !fired {
		return nil, 0, nil
	}
	for i := range rs {
		rs[i].Text = fmt.Sprintf("in a ring of %d of the %s, linked more among themselves than to the rest: %s", len(union), plural(len(ms), "member"), rs[i].Text)
	}
	return union, conf, rs
}

// partWeek is foreignWeek's strength for members ms from their lookups'
// times alone: most parts keep no foreign week, and this spares them the
// whole measurement.
func partWeek(in Input, cfg Config, ms []int32) float64 {
	f := facts{n: len(ms)}
	for _, a := range ms {
		for _, e := range in.B.AccountEdges(projection.Target, a) {
			f.addLookupTimes(e)
		}
	}
	if f.events == 0 {
		return 0
	}
	f.week = bestWorkingWeek(f.activityHours, float64(f.events), cfg)
	_, s := foreignWeek(f, cfg)
	return s
}

// rings splits members ms (increasing) of a community by Leiden on the
// subgraph of in.G they induce, seeded by the smallest member, not by the
// community's label, so that a run repeats and a community an incremental
// run carries over under another label splits as a full run splits it;
// with infra, on its links between members that share an IP address or a
// device (used by two of ms or more, as the shared-infrastructure signal
// counts them) only. Parts come in Leiden's label order, members increasing.
func rings(in Input, ms []int32, infra bool) [][]int32 {
	local := make(map[int32]int32, len(ms))
	for i, a := range ms {
		local[a] = int32(i)
	}
	var sharing map[[2]int32]bool
	if infra {
		sharing = sharedInfra(in.B, ms)
	}
	var edges []csr.Edge
	for i, a := range ms {
		nbr, wt := in.G.Row(a)
		for j, v := range nbr {
			if k, ok := local[v]; ok && k > int32(i) && (!infra || sharing[[2]int32{int32(i), k}]) {
				edges = append(edges, csr.Edge{U: int32(i), V: k, W: wt[j]})
			}
		}
	}
	part := community.Leiden(csr.FromEdges(len(ms), edges), 1, community.NewRand(uint64(ms[0])))
	out := part.Members()
	for _, p := range out {
		for i, u := range p {
			p[i] = ms[u]
		}
	}
	return out
}

// sharedInfra returns the pairs (i, j), i < j, of members ms[i] and ms[j]
// that used one IP address or device. It costs the members' IP and device
// edges plus the square of each resource's users among them.
func sharedInfra(b *projection.Bipartite, ms []int32) map[[2]int32]bool {
	pairs := map[[2]int32]bool{}
	for _, k := range []projection.Kind{projection.IP, projection.Device} {
		users := map[int32][]int32{}
		for i, a := range ms {
			for _, e := range b.AccountEdges(k, a) {
				users[e.Resource] = append(users[e.Resource], int32(i))
			}
		}
		for _, us := range users {
			for x, i := range us {
				for _, j := range us[x+1:] {
					pairs[[2]int32{i, j}] = true
				}
			}
		}
	}
	return pairs
}
