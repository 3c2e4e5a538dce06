package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// TestBulkMergeIDs: the two-pass merge numbers every node 0..N-1 exactly
// once, writes each key as a property beside its id, and gives every
// relationship the ids of the nodes it joins (the far end found through
// another partition), with the merged properties. Nodes and edges are
// spread over several partitions and workers, an edge is split over two
// sub-batches and the same target is looked up from several accounts.
func TestBulkMergeIDs(t *testing.T) {
	for _, tc := range []struct{ parts, workers int }{{1, 1}, {3, 2}, {7, 3}} {
		t.Run(fmt.Sprintf("%d partitions, %d workers", tc.parts, tc.workers), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			spillDir, inputDir := filepath.Join(dir, "spill"), filepath.Join(dir, "input")
			for _, d := range []string{spillDir, inputDir} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			sink, err := newBulkSink(spillDir, tc.parts)
			if err != nil {
				t.Fatal(err)
			}
			const accounts = 40
			at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
			var accs []store.AccountRow
			var ips []store.IPRow
			var devs []store.DeviceRow
			var used, looked []store.EdgeRow
			var matched []store.MatchRow
			want := map[string]string{} // relationship -> its properties
			for i := range accounts {
				a := fmt.Sprintf("acc%d", i)
				accs = append(accs, store.AccountRow{ID: a})
				ip := fmt.Sprintf("192.0.2.%d", i%9)
				ips = append(ips, store.IPRow{Addr: ip})
				devs = append(devs, store.DeviceRow{ID: fmt.Sprintf("dev%d", i%5)})
				used = append(used, store.EdgeRow{From: a, To: ip, First: at, Last: at, Count: 1})
				tk := fmt.Sprintf("%064x", i%6)
				tr := &store.TargetRow{Key: tk, Masked: "m", Kind: "phone", Region: "US", Block: "b", Offset: i % 6}
				looked = append(looked, store.EdgeRow{From: a, To: tk, First: at, Last: at.Add(time.Hour), Count: 2, Hits: 1, Target: tr})
				matched = append(matched, store.MatchRow{Target: tk, Account: fmt.Sprintf("acc%d", (i+1)%accounts)})
				want["USED_IP Account:"+a+" IP:"+ip] = fmt.Sprintf("datetime:%d.0@Z datetime:%d.0@Z long:2", at.Unix(), at.Unix())
				want["LOOKED_UP Account:"+a+" Target:"+tk] = fmt.Sprintf("datetime:%d.0@Z datetime:%d.0@Z long:2 long:1", at.Unix(), at.Add(time.Hour).Unix())
				want["MATCHED Target:"+tk+" Account:"+fmt.Sprintf("acc%d", (i+1)%accounts)] = ""
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(sink.MergeAccounts(ctx, accs))
			must(sink.MergeIPs(ctx, ips))
			must(sink.MergeDevices(ctx, devs))
			// USED_IP in two sub-batches: the merge sums them.
			must(sink.WriteEdges(ctx, "b1", store.RelUsedIP, used))
			must(sink.WriteEdges(ctx, "b2", store.RelUsedIP, used))
			must(sink.WriteEdges(ctx, "b3", store.RelLookedUp, looked))
			must(sink.MergeMatched(ctx, matched))
			must(sink.MarkIngestBatch(ctx, "chunk-1", map[string]any{"file": "f", "chunk": int64(0), "lines": int64(3), "events": int64(3)}))
			must(sink.close())
			var st ImportStats
			if _, err := mergeAll(ctx, sink, inputDir, tc.workers, &st); err != nil {
				t.Fatal(err)
			}

			node := map[int64]string{} // id -> "Label:key"
			for _, c := range inputFiles[:numInputNodes] {
				for _, rec := range readInputGroup(t, inputDir, c) {
					id, key := rec.ids[0], strings.TrimPrefix(rec.fields[0], "string:")
					if prev, dup := node[id]; dup {
						t.Fatalf("id %d given to %s and %s:%s", id, prev, c.name, key)
					}
					node[id] = c.name + ":" + key
				}
			}
			// 40 accounts, 9 IPs, 5 devices, 6 targets, 3 markers (chunk, 3 sub-batches).
			if n := len(node); n != accounts+9+5+6+4 {
				t.Errorf("%d nodes, want %d", n, accounts+9+5+6+4)
			}
			for id := range int64(len(node)) {
				if _, ok := node[id]; !ok {
					t.Errorf("ids not dense: %d missing among %d nodes", id, len(node))
				}
			}
			got := map[string]string{}
			for _, c := range inputFiles[numInputNodes:] {
				for _, rec := range readInputGroup(t, inputDir, c) {
					ends := [2]string{}
					for i := range ends {
						if node[rec.ids[i]] == "" {
							t.Fatalf("%s row %v: end %d names no node", c.file, rec, rec.ids[i])
						}
						ends[i] = node[rec.ids[i]]
					}
					k := c.name + " " + ends[0] + " " + ends[1]
					if _, dup := got[k]; dup {
						t.Errorf("relationship %s twice", k)
					}
					got[k] = strings.Join(rec.fields, " ")
				}
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s: got %q (present %v), want %q", k, g, ok, v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d relationships, want %d", len(got), len(want))
			}
			left, _ := filepath.Glob(filepath.Join(spillDir, "*"))
			if len(left) != 0 {
				t.Errorf("merge left %v", left)
			}
		})
	}
}

func joinCases() (recs []joinRec, enc []byte) {
	var e spillEnc
	for _, r := range []joinRec{
		{rel: relUsedIP, near: 0, far: "192.0.2.1", edge: edgeAgg{firstSec: -5, lastSec: 7, lastNsec: 9, count: 3}},
		{rel: relLookedUp, near: 1 << 40, far: strings.Repeat("ab", 32), edge: edgeAgg{firstSec: 1, firstNsec: 999999999, lastSec: 2, count: 1, hits: 1}},
		{rel: relUsedDevice, near: 3, far: "ünï", edge: edgeAgg{count: 1}},
		{rel: joinMatched, near: 4, far: "k"},
	} {
		recs = append(recs, r)
		e.join(r.rel, r.near, r.far, &r.edge)
	}
	return recs, e.b
}

func TestJoinRoundTrip(t *testing.T) {
	want, b := joinCases()
	checkRoundTrip(t, want, b, (*spillDec).nextJoin)
	var e spillEnc
	e.nodeID(spillTarget, "k", 1<<33)
	e.nodeID(spillIP, "", 0)
	d := &spillDec{r: bufio.NewReader(bytes.NewReader(e.b))}
	for _, w := range []struct {
		tag byte
		key string
		id  int64
	}{{spillTarget, "k", 1 << 33}, {spillIP, "", 0}} {
		tag, key, id, err := d.nextID()
		if err != nil || tag != w.tag || key != w.key || id != w.id {
			t.Errorf("id record: %d %q %d %v, want %+v", tag, key, id, err, w)
		}
	}
	if _, _, _, err := d.nextID(); err != io.EOF {
		t.Errorf("after the last id record: %v, want io.EOF", err)
	}
}

// FuzzJoinDecode: the join and id decoders never panic or loop, and a
// record they accept encodes back to a record that decodes the same.
func FuzzJoinDecode(f *testing.F) {
	_, b := joinCases()
	f.Add(b)
	f.Add([]byte{joinMatched, 0x80})
	f.Add([]byte{spillTarget, 1, 'k', 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &spillDec{r: bufio.NewReader(bytes.NewReader(data))}
		for {
			var r joinRec
			if err := d.nextJoin(&r); err != nil {
				break
			}
			var e spillEnc
			e.join(r.rel, r.near, r.far, &r.edge)
			var r2 joinRec
			d2 := &spillDec{r: bufio.NewReader(bytes.NewReader(e.b))}
			if err := d2.nextJoin(&r2); err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("%+v re-encoded as %x decodes to %+v (%v)", r, e.b, r2, err)
			}
		}
		d = &spillDec{r: bufio.NewReader(bytes.NewReader(data))}
		for {
			tag, key, id, err := d.nextID()
			if err != nil {
				break
			}
			var e spillEnc
			e.nodeID(tag, key, id)
			d2 := &spillDec{r: bufio.NewReader(bytes.NewReader(e.b))}
			if tag2, key2, id2, err := d2.nextID(); err != nil || tag2 != tag || key2 != key || id2 != id {
				t.Fatalf("id record %d %q %d decodes back as %d %q %d (%v)", tag, key, id, tag2, key2, id2, err)
			}
		}
	})
}
