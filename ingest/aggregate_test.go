package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"reflect"
	"slices"
	"testing"

	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/generate"
	"github.com/lockstep-dev/lockstep/store"
)

// TestAggregatorEqualsReference loads a generated world through the
// parser and both aggregators (the current one and the one before the
// speed work, aggregate_ref_test.go), chunk by chunk, and requires the
// same rows: the same nodes with the same properties, the same edges with
// the same first/last/count/hits in the same sub-batches, the same MATCHED
// pairs. It also requires the fast NDJSON decoder to agree with
// encoding/json on every line and to take nearly all of them.
func TestAggregatorEqualsReference(t *testing.T) {
	t.Parallel() // no Neo4j
	// Five chunks of 40,000 lines: enough to reuse the maps four times.
	accounts := 6000
	if testing.Short() {
		accounts = 3000
	}
	var buf bytes.Buffer
	if _, err := generate.WriteNDJSON(generate.DefaultConfig(accounts, 7), &buf); err != nil {
		t.Fatal(err)
	}
	// Small chunks and sub-batches: several chunks exercise the reuse of
	// the aggregator's maps, many sub-batches the partition.
	const chunkLines, txRows = 40000, 997
	p := newParser()
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var agg *aggregator
	ref := newRefAggregator()
	agg = newAggregator(nil)
	lines, fast, chunks := 0, 0, 0
	var block []event
	flush := func() {
		var got, want batch
		if err := agg.finish(&got, nil, txRows); err != nil {
			t.Fatal(err)
		}
		if err := ref.finish(&want, nil, txRows); err != nil {
			t.Fatal(err)
		}
		compareBatches(t, chunks, &got, &want)
		agg, ref = newAggregator(agg), newRefAggregator()
		chunks++
	}
	for sc.Scan() {
		line := sc.Text()
		lines++
		sameParse(t, p, line)
		if decodeFast(line, new(events.Record), new(rawTime), new(rawTime)) {
			fast++
		}
		ev, fe := p.parseNDJSON(line)
		if fe != nil {
			t.Fatalf("line %d rejected: %s: %s", lines, fe.field, fe.reason)
		}
		block = append(block, ev)
		ref.add(&ev)
		// Blocks of odd sizes, cut at chunk ends as the pipeline does.
		if len(block) == 1999 || lines%chunkLines == 0 {
			agg.addAll(block)
			block = block[:0]
		}
		if lines%chunkLines == 0 {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	agg.addAll(block)
	flush()
	if fast != lines {
		t.Errorf("the fast decoder took %d of %d generated lines", fast, lines)
	}
	t.Logf("%d lines in %d chunks", lines, chunks)
}

func compareBatches(t *testing.T, chunk int, got, want *batch) {
	t.Helper()
	if got.events != want.events {
		t.Fatalf("chunk %d: %d events, want %d", chunk, got.events, want.events)
	}
	sameRows(t, chunk, "accounts", got.accounts, want.accounts, func(a, b store.AccountRow) int { return cmp.Compare(a.ID, b.ID) })
	sameRows(t, chunk, "ips", got.ips, want.ips, func(a, b store.IPRow) int { return cmp.Compare(a.Addr, b.Addr) })
	sameRows(t, chunk, "devices", got.devices, want.devices, func(a, b store.DeviceRow) int { return cmp.Compare(a.ID, b.ID) })
	sameRows(t, chunk, "matched", got.matched, want.matched, func(a, b store.MatchRow) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Account, b.Account))
	})
	for _, rel := range []struct {
		name      string
		got, want [][]store.EdgeRow
	}{{"USED_IP", got.usedIP, want.usedIP}, {"USED_DEVICE", got.usedDev, want.usedDev}, {"LOOKED_UP", got.lookedUp, want.lookedUp}} {
		if len(rel.got) != len(rel.want) {
			t.Fatalf("chunk %d: %s in %d sub-batches, want %d", chunk, rel.name, len(rel.got), len(rel.want))
		}
		for j := range rel.got {
			sameRows(t, chunk, rel.name, derefTargets(rel.got[j]), derefTargets(rel.want[j]), func(a, b edgeRowValue) int {
				return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
			})
		}
	}
}

// edgeRowValue is an EdgeRow with its Target by value, so that rows
// compare by content.
type edgeRowValue struct {
	store.EdgeRow
	target store.TargetRow
}

func derefTargets(rows []store.EdgeRow) []edgeRowValue {
	out := make([]edgeRowValue, len(rows))
	for i, r := range rows {
		out[i].EdgeRow = r
		if r.Target != nil {
			out[i].target = *r.Target
			out[i].EdgeRow.Target = nil
		}
	}
	return out
}

// sameRows compares two sets of rows in any order.
func sameRows[T any](t *testing.T, chunk int, what string, got, want []T, by func(a, b T) int) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, by)
	slices.SortFunc(want, by)
	if len(got) != len(want) {
		t.Fatalf("chunk %d: %d %s rows, want %d", chunk, len(got), what, len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("chunk %d: %s row %d:\n got  %+v\n want %+v", chunk, what, i, got[i], want[i])
		}
	}
}
