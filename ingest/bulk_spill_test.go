package ingest

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store"
)

// spillCases are rows of every kind, with empty and full optional fields.
func spillCases() (recs []spillRec, enc []byte) {
	yes, no := true, false
	at := time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.UTC)
	var e spillEnc
	add := func(r spillRec, f func()) {
		recs = append(recs, r)
		f()
	}
	for _, a := range []store.AccountRow{{ID: "a1"}, {ID: "a2", Handle: "x,\"y\"", CreatedAt: at, Country: "US", Verified: &yes}, {ID: "ünï", Verified: &no}} {
		add(spillRec{tag: spillAccount, account: a}, func() { e.account(&a) })
	}
	for _, ip := range []store.IPRow{{Addr: "192.0.2.1"}, {Addr: "2001:db8::1", ASN: 1<<32 - 1, ASOrg: "Acme, Inc", Country: "DE", Kind: "vpn"}} {
		add(spillRec{tag: spillIP, ip: ip}, func() { e.ip(&ip) })
	}
	d := store.DeviceRow{ID: "d1", OS: "ios"}
	add(spillRec{tag: spillDevice, device: d}, func() { e.device(&d) })
	for _, tg := range []store.TargetRow{
		{Key: "k", Masked: "+1 415 ***-**23", Kind: "phone", Region: "US", Block: "+1415555", Offset: -7},
		{Key: "u", Masked: "+1 099-555-01xx", Kind: "phone", Region: "US", Block: "+1099555", Offset: 123, Invalid: true},
	} {
		add(spillRec{tag: spillTarget, target: tg}, func() { e.target(tg.Key, &tg) })
	}
	er := store.EdgeRow{From: "a1", To: "k", First: at.Add(-time.Hour), Last: at, Count: 3, Hits: 2}
	add(spillRec{tag: spillEdge, rel: relLookedUp, from: "a1", to: "k", edge: edgeAgg{
		firstSec: er.First.Unix(), firstNsec: int32(er.First.Nanosecond()), lastSec: at.Unix(), lastNsec: int32(at.Nanosecond()), count: 3, hits: 2}},
		func() { e.edge(relLookedUp, &er) })
	old := store.EdgeRow{From: "a2", To: "192.0.2.1", First: time.Unix(-5, 0), Last: time.Unix(-5, 0), Count: 1}
	add(spillRec{tag: spillEdge, rel: relUsedIP, from: "a2", to: "192.0.2.1", edge: edgeAgg{firstSec: -5, lastSec: -5, count: 1}},
		func() { e.edge(relUsedIP, &old) })
	m := store.MatchRow{Target: "k", Account: "a1"}
	add(spillRec{tag: spillMatched, from: "k", to: "a1"}, func() { e.matched(&m) })
	return recs, e.b
}

func TestSpillRoundTrip(t *testing.T) {
	want, b := spillCases()
	checkRoundTrip(t, want, b, (*spillDec).next)
}

// checkRoundTrip decodes b, the encoding of want, record by record with
// next and requires want back, then io.EOF; and every cut of b short of
// its end must fail, or end cleanly between two records (never a silent
// partial record).
func checkRoundTrip[T any](t *testing.T, want []T, b []byte, next func(*spillDec, *T) error) {
	t.Helper()
	d := &spillDec{r: bufio.NewReader(bytes.NewReader(b))}
	for i, w := range want {
		var got T
		if err := next(d, &got); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	var r T
	if err := next(d, &r); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
	// The offsets at which a record ends.
	ends := map[int64]bool{}
	d = &spillDec{r: bufio.NewReader(bytes.NewReader(b))}
	for next(d, &r) == nil {
		ends[d.off] = true
	}
	for n := 1; n < len(b); n++ {
		d := &spillDec{r: bufio.NewReader(bytes.NewReader(b[:n]))}
		var err error
		for err == nil {
			err = next(d, &r)
		}
		if err == io.EOF && !ends[int64(n)] {
			t.Errorf("cut at byte %d of %d: clean EOF inside a record", n, len(b))
		}
	}
}

// FuzzSpillDecode: the decoder never panics or loops on any input, and a
// record it accepts encodes back to the bytes it read.
func FuzzSpillDecode(f *testing.F) {
	_, b := spillCases()
	f.Add(b)
	f.Add([]byte{spillEdge, 9})
	f.Add([]byte{spillAccount, 0xff, 1, 'a'})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &spillDec{r: bufio.NewReader(bytes.NewReader(data))}
		for i := 0; i < len(data)+1; i++ {
			var r spillRec
			start := d.off
			if err := d.next(&r); err != nil {
				return
			}
			var e spillEnc
			switch r.tag {
			case spillAccount:
				e.account(&r.account)
			case spillIP:
				e.ip(&r.ip)
			case spillDevice:
				e.device(&r.device)
			case spillTarget:
				e.target(r.target.Key, &r.target)
			case spillEdge:
				er := store.EdgeRow{From: r.from, To: r.to, First: time.Unix(r.edge.firstSec, int64(r.edge.firstNsec)),
					Last: time.Unix(r.edge.lastSec, int64(r.edge.lastNsec)), Count: r.edge.count, Hits: r.edge.hits}
				e.edge(r.rel, &er)
			case spillMatched:
				e.matched(&store.MatchRow{Target: r.from, Account: r.to})
			}
			// Flags with unused bits, overlong varints or an IP flag byte
			// with bits the encoder never sets re-encode shorter; decoding
			// the re-encoding must give the same record.
			d2 := &spillDec{r: bufio.NewReader(bytes.NewReader(e.b))}
			var r2 spillRec
			if err := d2.next(&r2); err != nil || !reflect.DeepEqual(r, r2) || d2.off != int64(len(e.b)) {
				t.Fatalf("record at %d: %+v re-encoded as %x decodes to %+v (%v)", start, r, e.b, r2, err)
			}
		}
		t.Fatal("decoder did not advance")
	})
}
