package store

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseSignals(t *testing.T) {
	for _, c := range []struct {
		name string
		in   any
		want string
	}{
		{"list", `[{"name":"a","value":0.2},{"name":"b","value":0.9,"detail":"x"}]`, "b=0.9 a=0.2"},
		{"object of numbers", `{"a":0.5,"b":0.7}`, "b=0.7 a=0.5"},
		{"object of objects", `{"a":{"value":0.1},"b":{"score":0.3}}`, "b=0.3 a=0.1"},
		{"native map", map[string]any{"a": int64(2)}, "a=2"},
		{"garbage", `not json`, ""},
		{"nil", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var parts []string
			for _, s := range parseSignals(c.in) {
				parts = append(parts, s.Name+"="+strings.TrimRight(strings.TrimRight(ftoa(s.Value), "0"), "."))
			}
			if got := strings.Join(parts, " "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

func TestNetworkCursorRoundTrip(t *testing.T) {
	n := Network{ID: "net_1", Score: 0.75, Size: 12}
	for _, f := range []NetworkOrderField{OrderScore, OrderSize, OrderID} {
		c, err := decodeNetworkCursor(EncodeNetworkCursor(n, f))
		if err != nil || c.ID != "net_1" {
			t.Fatalf("%s: %+v, %v", f, c, err)
		}
	}
}

func FuzzDecodeNetworkCursor(f *testing.F) {
	f.Add(EncodeNetworkCursor(Network{ID: "x", Score: 1}, OrderScore))
	f.Add("")
	f.Add("eyJ2IjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeNetworkCursor(s)
		if err == nil && c.ID == "" {
			t.Fatalf("accepted a cursor without id: %q", s)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %v", err)
		}
	})
}
