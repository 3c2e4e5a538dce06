package store

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// TestIngestEncoding pins the byte layout that Ingest.java reads (the
// graph tests in ingest/write_paths_test.go prove the two agree; this one
// says what changed when they stop agreeing).
func TestIngestEncoding(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 0, 0, 5, time.UTC)
	yes := true
	str := func(s string) []byte { return append(binary.AppendUvarint(nil, uint64(len(s))), s...) }
	tm := func(t time.Time) []byte {
		return binary.AppendUvarint(binary.AppendVarint(nil, t.Unix()), uint64(t.Nanosecond()))
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	target := TargetRow{Masked: "m", Kind: "phone", Block: "+1415", Offset: -1}
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"account with all fields", encodeAccounts([]AccountRow{{ID: "a", Handle: "h", CreatedAt: at, Country: "US", Verified: &yes}}),
			cat([]byte{1 | 2 | 4 | 8 | 16}, str("a"), str("h"), tm(at), str("US"))},
		{"bare account", encodeAccounts([]AccountRow{{ID: "a"}}), cat([]byte{0}, str("a"))},
		{"ip", encodeIPs([]IPRow{{Addr: "1.2.3.4", ASN: 300, Kind: "vpn"}}),
			cat([]byte{1 | 8}, str("1.2.3.4"), binary.AppendUvarint(nil, 300), str("vpn"))},
		{"device", encodeDevices([]DeviceRow{{ID: "d", Client: "app"}}), cat([]byte{2}, str("d"), str("app"))},
		{"matched", encodeMatched([]MatchRow{{Target: "k", Account: "a"}}), cat(str("k"), str("a"))},
		{"target", encodeTargets([]TargetRow{{Key: "k", Masked: "m", Kind: "phone", Block: "+1415", Offset: -1}}),
			cat(str("k"), str("m"), str("phone"), str(""), str("+1415"), binary.AppendVarint(nil, -1))},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: %x, want %x", tc.name, tc.got, tc.want)
		}
	}
	lu, err := encodeEdges(RelLookedUp, []EdgeRow{{From: "a", To: "k", First: at, Last: at.Add(time.Second), Count: 3, Hits: 1, Target: &target}})
	want := cat(str("a"), str("k"), tm(at), tm(at.Add(time.Second)), []byte{3, 1}, str("m"), str("phone"), str(""), str("+1415"), binary.AppendVarint(nil, -1))
	if err != nil || !bytes.Equal(lu, want) {
		t.Errorf("LOOKED_UP: %x (%v), want %x", lu, err, want)
	}
	ip, err := encodeEdges(RelUsedIP, []EdgeRow{{From: "a", To: "1.2.3.4", First: at, Last: at, Count: 2}})
	want = cat(str("a"), str("1.2.3.4"), tm(at), tm(at), []byte{2})
	if err != nil || !bytes.Equal(ip, want) {
		t.Errorf("USED_IP: %x (%v), want %x", ip, err, want)
	}
	if _, err := encodeEdges(RelLookedUp, []EdgeRow{{From: "a", To: "k"}}); err == nil {
		t.Error("LOOKED_UP without its target: no error")
	}
	if _, err := encodeEdges("KNOWS", nil); err == nil {
		t.Error("unknown relationship type: no error")
	}
}
