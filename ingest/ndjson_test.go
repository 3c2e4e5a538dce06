package ingest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/target"
)

// sameParse fails unless the fast and the encoding/json paths give the
// same event or the same reject for line.
func sameParse(t *testing.T, p *parser, line string) {
	t.Helper()
	ev, fe := p.parseNDJSON(line)
	want, wantFE := p.parseNDJSONSlow(line)
	if !reflect.DeepEqual(fe, wantFE) {
		t.Fatalf("%q: fast path gives reject %+v, encoding/json %+v", line, fe, wantFE)
	}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("%q: fast path gives\n%+v\nencoding/json\n%+v", line, ev, want)
	}
}

func TestFastNDJSON(t *testing.T) {
	tests := []struct {
		line string
		fast bool // the fast decoder takes it (else encoding/json does)
	}{
		{`{"kind":"account","id":"a0000001","handle":"misty_raven_1","created_at":"2023-09-06T12:15:12Z","country":"US","verified":true}`, true},
		{`{"kind":"login","account":"a0000001","time":"2026-09-01T00:01:19Z","ip":"11.64.2.165","ip_asn":64516,"ip_as_org":"IN Home Broadband","ip_country":"IN","ip_kind":"residential","device":"d3ca1e963ff1c8dd9","device_os":"ios","device_client":"ios 8.12.0"}`, true},
		{`{"kind":"lookup","account":"a0000001","time":1788220767,"target":"+989377575972","target_kind":"phone","region":"IR","matched":"a0082395"}`, true},
		{` { "kind" : "lookup" , "account":"a1", "time" : 1 , "target":"x@y.org" }  `, true},
		{"{\t\"kind\":\"account\",\r\n\"id\":\"a1\"}", true},
		{`{}`, true},
		{`{"kind":"account","id":"é1","handle":"日本"}`, true},
		{`{"kind":"account","id":"a1","extra":1.5e3,"more":"x","n":null,"b":false,"neg":-0.5}`, true},
		{`{"kind":"account","id":"a1","verified":null,"handle":null}`, true},
		{`{"kind":"login","account":"a1","time":null,"ip":"1.2.3.4"}`, true},
		{`{"kind":"login","account":"a1","time":"","ip":"1.2.3.4"}`, true},
		{`{"kind":"login","account":"a1","time":"null","ip":"1.2.3.4"}`, true},
		{`{"kind":"login","account":"a1","time":1e9,"ip":"1.2.3.4"}`, true},
		{`{"kind":"login","account":"a1","time":-5,"ip":"1.2.3.4"}`, true},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":4294967295}`, true},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":0}`, true},
		// Left to encoding/json, with the same outcome.
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":4294967296}`, false},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":-1}`, false},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":1.0}`, false},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":"1"}`, false},
		{`{"kind":"login","account":"a1","time":1,"ip":"1.2.3.4","ip_asn":01}`, false},
		{`{"kind":"login","account":"a1","time":true,"ip":"1.2.3.4"}`, false},
		{`{"kind":"account","id":"a\u00e91"}`, false},
		{`{"kind":"account","id":"a\"1"}`, false},
		{`{"KIND":"account","Id":"a1"}`, false},
		{`{"kind":"account","id":"a1","id":"a2"}`, false},
		{`{"kind":"account","id":"a1","x":{"y":1}}`, false},
		{`{"kind":"account","id":"a1","x":[1]}`, false},
		{`{"kind":"account","id":"a1","verified":"true"}`, false},
		{`{"kind":"account","id":"a1","verified":1}`, false},
		{`{"kind":1}`, false},
		{"{\"kind\":\"account\",\"id\":\"a\xff\"}", false},
		{"{\"kind\":\"account\",\"id\":\"a\x01\"}", false},
		{`{"kind":"account","id":"a1"} x`, false},
		{`{"kind":"account","id":"a1",}`, false},
		{`{"kind":"account" "id":"a1"}`, false},
		{`{"kind":"account","id":"a1"`, false},
		{`{"kind":"account","id":tru}`, false},
		{`{"kind":"account","n":1.}`, false},
		{`{"kind":"account","n":1e}`, false},
		{`{"kind":"account","n":-}`, false},
		{`[]`, false},
		{`null`, false},
		{``, false},
	}
	p := newParser()
	for _, tt := range tests {
		var r events.Record
		var c, a rawTime
		if got := decodeFast(tt.line, &r, &c, &a); got != tt.fast {
			t.Errorf("decodeFast(%q) = %v, want %v", tt.line, got, tt.fast)
		}
		sameParse(t, p, tt.line)
	}
}

// FuzzFastNDJSON: the fast decoder and encoding/json agree on every line
// (event or reject, field and reason). Seeds include every case above.
func FuzzFastNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"kind":"account","id":"a0000001","handle":"misty_raven_1","created_at":"2023-09-06T12:15:12Z","country":"US","verified":true}`,
		`{"kind":"login","account":"a0000001","time":"2026-09-01T00:01:19Z","ip":"11.64.2.165","ip_asn":64516,"ip_as_org":"IN Home Broadband","ip_country":"IN","ip_kind":"residential","device":"d3ca1e963ff1c8dd9","device_os":"ios","device_client":"ios 8.12.0"}`,
		`{"kind":"lookup","account":"a0000001","time":1788220767,"target":"+989377575972","target_kind":"phone","region":"IR","matched":"a0082395"}`,
		`{"kind":"lookup","account":"a1","time":"2024-03-01T13:00:00+01:00","target":"(415) 555-2323","region":"us"}`,
		`{"kind":"account","id":"a1","extra":1.5e3,"n":null,"verified":null,"handle":" x "}`,
		`{"kind":"login","account":"a1","time":1,"ip":"::ffff:1.2.3.4","ip_asn":4294967296}`,
		`{"KIND":"account","id":"a\u00e91","id":"a2","x":[{}]}`,
		`{"kind":"account","id":"a1"} x`, `{`, `null`, `[]`, `{"kind":1}`,
	} {
		f.Add(s)
	}
	p := newParser()
	f.Fuzz(func(t *testing.T, line string) {
		sameParse(t, p, line)
	})
}

// oldCheckCountry is checkCountry as it was, before the lookup table.
func oldCheckCountry(s string) (string, error) {
	if len(s) != 2 {
		return "", fmt.Errorf("%q is not an ISO 3166 alpha-2 country code", target.Clip(s))
	}
	up := strings.ToUpper(s)
	r, err := language.ParseRegion(up)
	if err != nil || !r.IsCountry() || r.Canonicalize().String() != up || r.ISO3() == "ZZZ" {
		return "", fmt.Errorf("%q is not an ISO 3166 alpha-2 country code", target.Clip(s))
	}
	return up, nil
}

// TestCheckCountryTable compares the table with x/text on every two-byte
// string.
func TestCheckCountryTable(t *testing.T) {
	valid := 0
	for a := range 256 {
		for b := range 256 {
			s := string([]byte{byte(a), byte(b)})
			got, err := checkCountry(s)
			want, werr := oldCheckCountry(s)
			if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
				t.Fatalf("checkCountry(%q) = %q, %v; want %q, %v", s, got, err, want, werr)
			}
			if err == nil {
				valid++
			}
		}
	}
	if valid < 4*240 { // about 249 codes, each in four spellings of case
		t.Errorf("only %d valid spellings", valid)
	}
	for _, s := range []string{"", "U", "USA", "UK"} {
		if _, err := checkCountry(s); err == nil {
			t.Errorf("checkCountry(%q) accepted", s)
		}
	}
}
