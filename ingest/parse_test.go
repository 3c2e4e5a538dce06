package ingest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lockstep-dev/lockstep/target"
)

var testKey = []byte("ingest-test-key-0123456789")

func newParser() *parser { return &parser{hasher: target.NewHasher(testKey)} }

func TestParseNDJSON(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, ev event)
	}{
		{"account", `{"kind":"account","id":"a1","handle":"alice","created_at":"2024-03-01T12:00:00Z","country":"ir","verified":true}`, func(t *testing.T, ev event) {
			if ev.kind != kindAccount || ev.account != "a1" || ev.handle != "alice" || ev.country != "IR" || !ev.verified || !ev.createdAt.Equal(ts) {
				t.Errorf("got %+v", ev)
			}
		}},
		{"login unix time ipv6", `{"kind":"login","account":"a1","time":1709294400,"ip":"2001:DB8::1","device":"d1","ip_kind":"mobile","ip_asn":64500}`, func(t *testing.T, ev event) {
			if ev.kind != kindLogin || !ev.at.Equal(ts) || ev.ip.String() != "2001:db8::1" || ev.device != "d1" || ev.ipKind != "mobile" || ev.asn != 64500 {
				t.Errorf("got %+v", ev)
			}
		}},
		{"login mapped ipv4 and string unix time", `{"kind":"login","account":"a1","time":"1709294400","ip":"::ffff:192.0.2.1"}`, func(t *testing.T, ev event) {
			if ev.ip.String() != "192.0.2.1" || !ev.at.Equal(ts) {
				t.Errorf("got %+v", ev)
			}
		}},
		{"lookup matched", `{"kind":"lookup","account":"a1","time":"2024-03-01T13:00:00+01:00","target":"+14155552323","matched":"a2"}`, func(t *testing.T, ev event) {
			if ev.kind != kindLookup || !ev.at.Equal(ts) || ev.target.Block != "+1415555" || !ev.matched || ev.matchID != "a2" {
				t.Errorf("got %+v", ev)
			}
		}},
		{"lookup of a number no plan allows is kept, marked", `{"kind":"lookup","account":"a1","time":1709294400,"target":"+1 099 555 2323"}`, func(t *testing.T, ev event) {
			if ev.kind != kindLookup || !ev.target.Invalid || ev.target.Block != "+1099555" || ev.target.Offset != 2323 {
				t.Errorf("got %+v", ev)
			}
		}},
		{"lookup email", `{"kind":"lookup","account":"a1","time":1709294400,"target":"Bob@Example.org","target_kind":"email"}`, func(t *testing.T, ev event) {
			if ev.target.Masked != "b***@example.org" || ev.matched {
				t.Errorf("got %+v", ev)
			}
		}},
	}
	p := newParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, fe := p.parseNDJSON(tt.line)
			if fe != nil {
				t.Fatalf("rejected: field %q: %s", fe.field, fe.reason)
			}
			tt.check(t, ev)
		})
	}
}

func TestParseNDJSONRejects(t *testing.T) {
	tests := []struct {
		name, line, field, reason string
	}{
		{"not json", `hello`, "", "not a JSON object"},
		{"truncated", `{"kind":"login","account":"a1","ti`, "", "not a JSON object"},
		{"unknown kind", `{"kind":"logout","account":"a1"}`, "kind", "unknown kind"},
		{"missing kind", `{"account":"a1"}`, "kind", "missing"},
		{"bad time", `{"kind":"login","account":"a1","time":"yesterday","ip":"192.0.2.1"}`, "time", "neither RFC 3339"},
		{"bad created_at", `{"kind":"account","id":"a1","created_at":"2024-13-01T00:00:00Z"}`, "created_at", "neither RFC 3339"},
		{"missing time", `{"kind":"login","account":"a1","ip":"192.0.2.1"}`, "time", "missing"},
		{"bad ip", `{"kind":"login","account":"a1","time":1709294400,"ip":"300.1.1.1"}`, "ip", "not an IPv4 or IPv6"},
		{"ip with zone", `{"kind":"login","account":"a1","time":1709294400,"ip":"fe80::1%eth0"}`, "ip", "zone"},
		{"missing ip", `{"kind":"login","account":"a1","time":1709294400}`, "ip", "missing"},
		{"missing account", `{"kind":"login","time":1709294400,"ip":"192.0.2.1"}`, "account", "missing"},
		{"missing id", `{"kind":"account","handle":"x"}`, "id", "missing"},
		{"bad ip kind", `{"kind":"login","account":"a1","time":1709294400,"ip":"192.0.2.1","ip_kind":"satellite"}`, "ip_kind", "unknown kind"},
		{"bad country", `{"kind":"account","id":"a1","country":"UK"}`, "country", "not an ISO 3166"},
		{"asn as string", `{"kind":"login","account":"a1","time":1709294400,"ip":"192.0.2.1","ip_asn":"AS1"}`, "ip_asn", "want a JSON"},
		{"bad phone", `{"kind":"lookup","account":"a1","time":1709294400,"target":"+999 555 2323 11"}`, "target", "does not parse"},
		{"national phone without region", `{"kind":"lookup","account":"a1","time":1709294400,"target":"4155552323"}`, "target", "does not parse"},
		{"missing target", `{"kind":"lookup","account":"a1","time":1709294400}`, "target", "missing"},
		{"space in account", `{"kind":"lookup","account":"a 1","time":1709294400,"target":"+14155552323"}`, "account", "space"},
	}
	p := newParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fe := p.parseNDJSON(tt.line)
			if fe == nil {
				t.Fatal("accepted")
			}
			if fe.field != tt.field || !strings.Contains(fe.reason, tt.reason) {
				t.Errorf("got field %q reason %q, want field %q reason containing %q", fe.field, fe.reason, tt.field, tt.reason)
			}
			if strings.Contains(fe.reason, "5552323") {
				t.Errorf("reason %q leaks the phone number", fe.reason)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	p := newParser()
	ev, _, fe := p.parseCSV("login", `a1,2024-03-01T12:00:00Z,192.0.2.1,64500,"Example, Inc.",US,datacenter,d1,android,app`, nil)
	if fe != nil {
		t.Fatalf("rejected: %+v", fe)
	}
	if ev.asOrg != "Example, Inc." || ev.asn != 64500 || ev.ipCountry != "US" || ev.device != "d1" || ev.deviceOS != "android" {
		t.Errorf("got %+v", ev)
	}
	ev, _, fe = p.parseCSV("account", "a1,alice,1709294400,DE,true", nil)
	if fe != nil || !ev.verified || ev.country != "DE" {
		t.Errorf("account: %+v %+v", ev, fe)
	}
	ev, _, fe = p.parseCSV("lookup", "a1,1709294400,(415) 555-2323,phone,US,", nil)
	if fe != nil || ev.target.Offset != 2323 || ev.matched {
		t.Errorf("lookup: %+v %+v", ev, fe)
	}
	for _, tt := range []struct{ kind, row, field, reason string }{
		{"login", "a1,2024-03-01T12:00:00Z,192.0.2.1", "", "has 3 fields"},
		{"login", "a1,noon,192.0.2.1,,,,,,,", "time", "neither"},
		{"login", "a1,1709294400,192.0.2.1,-5,,,,,,", "ip_asn", "want a number"},
		{"login", "a1,1709294400,192.0.2.x,,,,,,,", "ip", "not an IPv4"},
		{"account", "a1,alice,,DE,maybe", "verified", "true or false"},
		{"lookup", "a1,1709294400,+999 555 2323 11,phone,,", "target", "does not parse"},
		{"lookup", `a1,1709294400,"+14155552323,phone,,`, "target", "unbalanced quote"},
	} {
		_, _, fe := p.parseCSV(tt.kind, tt.row, nil)
		if fe == nil || fe.field != tt.field || !strings.Contains(fe.reason, tt.reason) {
			t.Errorf("%s %q: got %+v, want field %q reason containing %q", tt.kind, tt.row, fe, tt.field, tt.reason)
		}
	}
}

func TestCSVKind(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"id,handle,created_at,country,verified", "account"},
		{"account, time ,ip,ip_asn,ip_as_org,ip_country,ip_kind,device,device_os,device_client", "login"},
		{"account,time,target,target_kind,region,matched", "lookup"},
		{"account,time,target", ""},
		{"time,account,target,target_kind,region,matched", ""},
	} {
		fields, _ := splitCSV(tt.header, nil)
		if got := csvKind(fields); got != tt.want {
			t.Errorf("csvKind(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// FuzzParseNDJSON: any line is either an event or a reject with a reason,
// never a panic; accepted events have what their kind requires.
func FuzzParseNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"kind":"account","id":"a1","created_at":1709294400}`,
		`{"kind":"login","account":"a1","time":1709294400,"ip":"2001:db8::1","device":"d1"}`,
		`{"kind":"lookup","account":"a1","time":"2024-03-01T13:00:00+01:00","target":"+14155552323","matched":"a2"}`,
		`{"kind":"lookup","account":"a1","time":1709294400,"target":"x@y.org"}`,
		`{`, `null`, `[]`, `{"kind":1}`,
	} {
		f.Add([]byte(s))
	}
	p := newParser()
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, fe := p.parseNDJSON(string(line))
		if fe != nil {
			checkReject(t, fe)
			return
		}
		checkEvent(t, p, ev)
	})
}

// FuzzParseCSV does the same for CSV rows of each kind.
func FuzzParseCSV(f *testing.F) {
	f.Add(uint8(0), []byte("a1,alice,1709294400,DE,true"))
	f.Add(uint8(1), []byte(`a1,2024-03-01T12:00:00Z,192.0.2.1,64500,"Example, Inc.",US,datacenter,d1,android,app`))
	f.Add(uint8(2), []byte("a1,1709294400,(415) 555-2323,phone,US,a2"))
	f.Add(uint8(2), []byte(`a1,1709294400,"x""y@z.org",email,,`))
	p := newParser()
	kinds := []string{"account", "login", "lookup"}
	f.Fuzz(func(t *testing.T, k uint8, row []byte) {
		ev, _, fe := p.parseCSV(kinds[int(k)%3], string(row), nil)
		if fe != nil {
			checkReject(t, fe)
			return
		}
		checkEvent(t, p, ev)
	})
}

// FuzzParseTime checks the time parser on both paths: accepted times are UTC.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1709294400", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.123+05:30", "-1", "1e9", ""} {
		f.Add(s)
	}
	p := newParser()
	f.Fuzz(func(t *testing.T, s string) {
		ev, _, fe := p.parseCSV("lookup", "a1,"+strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "\"", "")+",a@b.org,,,", nil)
		if fe == nil && (ev.at.Location() != time.UTC || ev.at.IsZero()) {
			t.Fatalf("time %q gave %v", s, ev.at)
		}
	})
}

// checkReject: a reject has a reason, and the reason holds nothing the
// redactor would still redact (the ASN bound aside): a digit run joined to
// a word is part of an id, not a phone number (target.Redact).
func checkReject(t *testing.T, fe *fieldError) {
	t.Helper()
	if fe.reason == "" {
		t.Fatal("reject without reason")
	}
	if rest := strings.ReplaceAll(fe.reason, "4294967295", ""); target.Redact(rest) != rest {
		t.Fatalf("reason %q holds a phone number or e-mail", fe.reason)
	}
}

// checkEvent: an accepted event has what its kind requires, times in the
// accepted range and text that is UTF-8.
func checkEvent(t *testing.T, p *parser, ev event) {
	t.Helper()
	if ev.account == "" {
		t.Fatal("accepted without account")
	}
	for _, tm := range []time.Time{ev.at, ev.createdAt} {
		if !tm.IsZero() && (tm.Before(earliestTime) || tm.After(p.latest)) {
			t.Fatalf("time %v accepted", tm)
		}
	}
	for _, s := range []string{ev.account, ev.handle, ev.asOrg, ev.device, ev.deviceOS, ev.deviceClnt, ev.matchID} {
		if !utf8.ValidString(s) {
			t.Fatalf("text %q accepted", s)
		}
	}
	for _, id := range []string{ev.account, ev.matchID} {
		if target.PhoneDigits(id) > 0 && !isDigits(id) || target.LooksLikeEmail(id) {
			t.Fatalf("account id %q accepted", id)
		}
	}
	switch ev.kind {
	case kindAccount:
	case kindLogin:
		if ev.at.IsZero() || !ev.ip.IsValid() || ev.ip.Zone() != "" {
			t.Fatalf("bad login %+v", ev)
		}
	case kindLookup:
		if ev.at.IsZero() || len(ev.target.Key) != 64 {
			t.Fatalf("bad lookup %+v", ev)
		}
	default:
		t.Fatalf("kind %d", ev.kind)
	}
}

// parseRecord parses one record of the named format ("csv" with its kind,
// or "ndjson") and returns the parser's verdict on it.
func parseRecord(p *parser, format, kind, rec string) *fieldError {
	if format == "csv" {
		_, _, fe := p.parseCSV(kind, rec, nil)
		return fe
	}
	_, fe := p.parseNDJSON(rec)
	return fe
}

// TestBadInputRejects covers issue 18's bad inputs at the parser, in both
// formats: each is refused with its field and a reason that names the
// problem, and no reason holds the raw phone number or e-mail address.
func TestBadInputRejects(t *testing.T) {
	const login = `{"kind":"login","account":"a1","time":1709294400,"ip":"192.0.2.1"`
	tests := []struct {
		name, format, kind, rec, field, reason string
	}{
		// Times: a format and a range.
		{"created_at year 1", "ndjson", "", `{"kind":"account","id":"a1","created_at":"0001-01-01T00:00:00Z"}`, "created_at", "year 1 is before 2000-01-01"},
		{"created_at year 1 csv", "csv", "account", "a1,alice,0001-01-01T00:00:00Z,DE,", "created_at", "year 1 is before 2000-01-01"},
		{"unix time 0", "ndjson", "", `{"kind":"account","id":"a1","created_at":0}`, "created_at", "year 1970 is before"},
		{"phone as unix time", "ndjson", "", `{"kind":"login","account":"a1","time":14155552323,"ip":"192.0.2.1"}`, "time", "year 2418 is after"},
		{"phone as unix time string", "ndjson", "", `{"kind":"login","account":"a1","time":"14155552323","ip":"192.0.2.1"}`, "time", "year 2418 is after"},
		{"phone as unix time slow path", "ndjson", "", `{"kind":"login","account":"a\u0031","time":14155552323,"ip":"192.0.2.1"}`, "time", "year 2418 is after"},
		{"e164 phone as time", "csv", "login", "a1,+14155552323,192.0.2.1,,,,,,,", "time", `time "[11 digits]" is neither RFC 3339 nor Unix seconds`},
		{"written phone as time", "ndjson", "", `{"kind":"login","account":"a1","time":"+1 (415) 555-2323","ip":"192.0.2.1"}`, "time", `time "[11 digits]" is neither`},
		{"far future rfc3339", "ndjson", "", `{"kind":"login","account":"a1","time":"2999-01-01T00:00:00Z","ip":"192.0.2.1"}`, "time", "year 2999 is after"},
		// Account ids are no phone numbers or e-mail addresses.
		{"phone as account id", "ndjson", "", `{"kind":"account","id":"+14155552323"}`, "id", "account id looks like a phone number (11 digits)"},
		{"written phone as account", "csv", "lookup", "415-555-2323,1709294400,+14155552324,,,", "account", "account id looks like a phone number (10 digits)"},
		{"spaced phone as account", "ndjson", "", `{"kind":"login","account":"+1 415 555 2323","time":1709294400,"ip":"192.0.2.1"}`, "account", "account id looks like a phone number (11 digits)"},
		{"phone as matched", "ndjson", "", `{"kind":"lookup","account":"a1","time":1709294400,"target":"+14155552324","matched":"+14155552323"}`, "matched", "looks like a phone number (11 digits)"},
		{"e-mail as account id", "csv", "account", "bob@example.org,bob,,,", "id", "account id looks like an e-mail address"},
		// Invalid UTF-8, anywhere in the record.
		{"bad utf-8 in handle", "ndjson", "", `{"kind":"account","id":"a1","handle":"J` + "\xfc" + `rgen"}`, "handle", "not UTF-8 (byte 0xfc at byte 3 of the value)"},
		{"bad utf-8 in ignored field", "ndjson", "", login + `,"note":"x` + "\xff" + `"}`, "note", "not UTF-8"},
		{"bad utf-8 in nested ignored field", "ndjson", "", login + `,"extra":{"a":["` + "\xc3" + `"]}}`, "extra", "not UTF-8"},
		{"bad utf-8 under a phone-number key", "ndjson", "", login + `,"+14155552323":"` + "\xff" + `"}`, "[11 digits]", "not UTF-8"},
		{"bad utf-8 in a field name", "ndjson", "", login + `,"n` + "\xff" + `":1}`, "", "a field name is not UTF-8"},
		{"lone surrogate escape", "ndjson", "", `{"kind":"account","id":"a1","handle":"x\ud800y"}`, "handle", "lone UTF-16 surrogate"},
		{"bad utf-8 in csv handle", "csv", "account", "a1,J\xfcrgen,,DE,", "handle", "not UTF-8 (byte 0xfc at byte 2 of the field)"},
		{"bad utf-8 in quoted csv field", "csv", "login", `a1,1709294400,192.0.2.1,1,"Ex` + "\xff" + `, Inc.",,,,,`, "ip_as_org", "not UTF-8"},
		{"bad utf-8 in csv target", "csv", "lookup", "a1,1709294400,bob\xff@example.org,email,,", "target", "not UTF-8"},
		// CSV quoting: the field where it breaks.
		{"unbalanced quote", "csv", "account", `a1,"alice,,DE,`, "handle", "unbalanced quote: the quoted field is not closed on its line"},
		{"quote inside unquoted field", "csv", "account", `a1,ali"ce,,DE,`, "handle", "a quote inside an unquoted field"},
		{"text after closing quote", "csv", "account", `a1,"ali"ce,,DE,`, "handle", "text after the closing quote"},
		{"unbalanced quote past the header", "csv", "account", `a1,alice,,DE,,"x`, "", "unbalanced quote"},
	}
	p := newParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := parseRecord(p, tt.format, tt.kind, tt.rec)
			if fe == nil {
				t.Fatal("accepted")
			}
			if fe.field != tt.field || !strings.Contains(fe.reason, tt.reason) {
				t.Errorf("got field %q reason %q, want field %q reason containing %q", fe.field, fe.reason, tt.field, tt.reason)
			}
			for _, raw := range []string{"5552323", "555-2323", "555 2323", "bob@", "14155552323"} {
				if strings.Contains(fe.reason, raw) {
					t.Errorf("reason %q holds %q of the raw input", fe.reason, raw)
				}
			}
		})
	}
}

// TestGoodInputKept: the checks above refuse no valid record that is near
// them.
func TestGoodInputKept(t *testing.T) {
	tests := []struct{ name, format, kind, rec string }{
		{"numeric account id", "ndjson", "", `{"kind":"account","id":"123456789012","created_at":"2000-01-01T00:00:00Z"}`},
		{"numeric account in csv", "csv", "login", "98765432101,1709294400,192.0.2.1,,,,,,,"},
		{"written U+FFFD", "ndjson", "", `{"kind":"account","id":"a1","handle":"x\ufffdy` + "\uFFFD" + `"}`},
		{"surrogate pair escape", "ndjson", "", `{"kind":"account","id":"a1","handle":"smile \ud83d\ude00"}`},
		{"utf-8 handle", "csv", "account", "a1,Jürgen,,DE,"},
		{"utf-8 handle escaped in json", "ndjson", "", `{"kind":"account","id":"a1","handle":"J\u00fcrgen \"JR\""}`},
		{"quoted csv field", "csv", "account", `a1,"Ali ""A"", Inc",,DE,`},
		{"time a few hours ahead", "ndjson", "", `{"kind":"login","account":"a1","time":"` + time.Now().Add(3*time.Hour).UTC().Format(time.RFC3339) + `","ip":"192.0.2.1"}`},
	}
	p := newParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fe := parseRecord(p, tt.format, tt.kind, tt.rec); fe != nil {
				t.Fatalf("rejected: field %q: %s", fe.field, fe.reason)
			}
		})
	}
}
