package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lockstep-dev/lockstep/signals"
)

// How a network's signals are stored. Detection writes them as JSON text
// (Network.signals: [{name, value, contribution, weight, measured,
// detail}], value being the strength), which the API reads whole; beside it
// each signal's contribution is a property of its own,
// contribution_<name>, because the networks filter ("this signal added at
// least X to the score") has to compare it in the database, where the
// count and keyset paging happen. Countries are JSON text too
// (Network.countries: {members: [{country, count}], logins: [...]}).

// contributionProperty is the Network property that holds a signal's
// contribution.
func contributionProperty(n signals.Name) string { return "contribution_" + string(n) }

// contributionProps returns the contribution properties of a network
// whose signals JSON is raw: one per known signal, 0 for those it lacks,
// so that every network of a run answers the filter.
func contributionProps(raw any) map[string]any {
	props := make(map[string]any, len(signals.All))
	for _, n := range signals.All {
		props[contributionProperty(n)] = 0.0
	}
	for _, s := range parseSignals(raw) {
		props[contributionProperty(s.Name)] = s.Contribution
	}
	return props
}

// storedSignal is one signal as detection writes it.
type storedSignal struct {
	Name         signals.Name `json:"name"`
	Value        float64      `json:"value"` // strength, 0..1
	Contribution float64      `json:"contribution"`
	Weight       float64      `json:"weight"`
	Measured     float64      `json:"measured"`
	Detail       string       `json:"detail"`
}

// SignalsJSON is the stored form of a network's signals
// (NetworkRow.Signals).
func SignalsJSON(sigs []Signal) string {
	out := make([]storedSignal, len(sigs))
	for i, s := range sigs {
		out[i] = storedSignal{Name: s.Name, Value: s.Strength, Contribution: s.Contribution, Weight: s.Weight, Measured: s.Measured}
		if s.Detail != nil {
			out[i].Detail = *s.Detail
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// parseSignals reads the signals JSON detection writes and returns them by
// decreasing contribution (then strength, then name): the order every list
// of signals is shown in. Signals of names no version of detection wrote
// (hand-made data) are left out, since the API's enum cannot show them.
func parseSignals(v any) []Signal {
	out := []Signal{}
	raw, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return out
		}
		raw = string(b)
	}
	var stored []storedSignal
	if json.Unmarshal([]byte(raw), &stored) != nil {
		return out
	}
	for _, s := range stored {
		if !s.Name.Known() {
			continue
		}
		sig := Signal{Name: s.Name, Contribution: s.Contribution, Strength: s.Value, Weight: s.Weight, Measured: s.Measured}
		if s.Detail != "" {
			sig.Detail = &s.Detail
		}
		out = append(out, sig)
	}
	slices.SortStableFunc(out, func(x, y Signal) int {
		if c := cmp.Compare(y.Contribution, x.Contribution); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Strength, x.Strength); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return out
}

// storedCountries is Network.countries.
type storedCountries struct {
	Members []CountryCount `json:"members"`
	Logins  []CountryCount `json:"logins"`
}

// countriesJSON is the stored form of a network's country counts.
func countriesJSON(members, logins []CountryCount) string {
	b, _ := json.Marshal(storedCountries{Members: nonNil(members), Logins: nonNil(logins)})
	return string(b)
}

// parseCountries reads Network.countries; nil, nil when it is absent
// (networks written before detection stored countries).
func parseCountries(raw *string) (members, logins []CountryCount) {
	if raw == nil {
		return nil, nil
	}
	var c storedCountries
	if json.Unmarshal([]byte(*raw), &c) != nil {
		return nil, nil
	}
	return nonNil(c.Members), nonNil(c.Logins)
}

// contributionPage is how many networks migrateContributions reads and
// writes at a time.
const contributionPage = 500

// migrateContributions gives networks written before contributions were
// properties of their own their contribution_<signal> properties, from
// their signals JSON, so the networks filter sees earlier runs too. A
// migrated network has them all, so a second run reads one empty page.
func (s *Store) migrateContributions(ctx context.Context) error {
	for {
		recs, err := s.Query(ctx, `MATCH (n:Network) WHERE n[$marker] IS NULL
RETURN n.id AS id, n.signals AS signals LIMIT $n`, map[string]any{"marker": contributionProperty(signals.All[0]), "n": int64(contributionPage)})
		if err != nil {
			return fmt.Errorf("reading networks without contribution properties: %w", err)
		}
		rows := make([]map[string]any, 0, len(recs))
		for _, r := range recs {
			id, err := Get[string](r, "id")
			if err != nil {
				return err
			}
			raw, _ := r.Get("signals")
			rows = append(rows, map[string]any{"id": id, "props": contributionProps(raw)})
		}
		if err := s.WriteRows(ctx, "UNWIND $rows AS r MATCH (n:Network {id: r.id}) SET n += r.props", rows); err != nil {
			return fmt.Errorf("writing contribution properties: %w", err)
		}
		if len(recs) < contributionPage {
			return nil
		}
	}
}
