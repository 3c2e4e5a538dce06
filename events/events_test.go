package events

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  string // a part of the error; "" for no error
	}{
		{"1709294400", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), ""},
		{"0", time.Unix(0, 0).UTC(), ""},
		{"1099511627776", time.Unix(1<<40, 0).UTC(), ""},
		{"2024-03-01T13:00:00+01:00", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), ""},
		{"2024-03-01T12:00:00.123456789Z", time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC), ""},
		{"", time.Time{}, "empty time"},
		{"1099511627777", time.Time{}, "unix time of 13 digits is out of range"},
		{"99999999999999999999", time.Time{}, "unix time of 20 digits is out of range"},
		// A sign is refused: +14155552323 is a phone number, not year 2418.
		{"+14155552323", time.Time{}, `time "[11 digits]" is neither RFC 3339 nor Unix seconds`},
		{"+5", time.Time{}, `time "+5" is neither`},
		{"-1", time.Time{}, `time "-1" is neither`},
		{"1e9", time.Time{}, "neither"},
		{" 1", time.Time{}, "neither"},
		{"2024-13-01T00:00:00Z", time.Time{}, `time "2024-13-01T00:00:00Z" is neither`},
		{"yesterday", time.Time{}, `time "yesterday" is neither`},
		{"+1 (415) 555-2323", time.Time{}, `time "[11 digits]" is neither`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if tt.err == "" {
				if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
					t.Fatalf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("ParseTime(%q) error %v; want one containing %q", tt.in, err, tt.err)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"yesterday", `"yesterday"`},
		{"+14155552323", `"[11 digits]"`},
		{"+1 (415) 555-2323", `"[11 digits]"`},
		{"tel:+1 415 555 2323;ext=1", `"tel:[11 digits];ext=1"`},
		{"a14155552323", `"a[11 digits]"`},
		{"2024-03-01T12:00:00Z", `"2024-03-01T12:00:00Z"`},
		{"2024-03-01-4155552323", `"2024-03-01-[10 digits]"`},
		{"192.0.2.300", `"[8 digits]"`},
		{"10.1.1.1%eth0", `"10.1.1.1%eth0"`},
		{"bob@example.org", `"[e-mail]"`},
		{"mailto:bob.smith+x@mail.example.org now", `"mailto:[e-mail] now"`},
		{"123456@x.org", `"[e-mail]"`},
		{"a b", `"a b"`},
		{"AS123456", `"AS123456"`},
		{strings.Repeat("x", 100), `"` + strings.Repeat("x", 61) + `..."`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, tt := range []struct {
		in     string
		digits int
		email  bool
	}{
		{"+14155552323", 11, false},
		{"(415) 555-2323", 10, false},
		{"415.555.2323", 10, false},
		{"a0000001", 0, false},
		{"123456", 0, false},
		{"1234567890123456", 0, false}, // 16 digits: longer than E.164
		{"bob@example.org", 0, true},
		{"bob@localhost", 0, false},
		{"@example.org", 0, false},
		{"bob@example.", 0, false},
	} {
		if d, e := PhoneDigits(tt.in), LooksLikeEmail(tt.in); d != tt.digits || e != tt.email {
			t.Errorf("%q: PhoneDigits %d LooksLikeEmail %v, want %d %v", tt.in, d, e, tt.digits, tt.email)
		}
	}
}

// sevenDigits finds 7 digits with at most phone separators between them.
var sevenDigits = regexp.MustCompile(`\d(?:[ ()./+-]*\d){6}`)

// FuzzParseTime: accepted times are UTC and from the two forms; an error
// never holds 7 digits of the input in a row (a phone number) nor an @
// word with a dotted domain.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1709294400", "+5", "-1", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.5-07:00", "1e9", "", "+14155552323", "x@y.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		// The JSON forms read the same: the string, and a bare number.
		var fromJSON Time
		jerr := fromJSON.UnmarshalJSON([]byte(strconv.Quote(s)))
		if utf8.ValidString(s) && (jerr == nil) != (err == nil) || jerr == nil && !fromJSON.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, %v; UnmarshalJSON = %v, %v", s, got, err, fromJSON.Time, jerr)
		}
		if err == nil {
			if got.Location() != time.UTC {
				t.Fatalf("ParseTime(%q) = %v, not UTC", s, got)
			}
			return
		}
		checkQuoted(t, s, err.Error())
	})
}

// FuzzQuote: the quoted form holds no phone-number-like digit run and no
// e-mail-like word.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"+1 (415) 555-2323", "2024-03-01T12:00:00Z", "a@b.org", "x 1234 567 y", "2024-03-01-2024-03-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkQuoted(t, s, Quote(s)) })
}

// quoted finds the Go-quoted parts of a message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

func checkQuoted(t *testing.T, in, msg string) {
	t.Helper()
	for _, q := range quoted.FindAllString(msg, -1) {
		text, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("%q: message %q: %v", in, msg, err)
		}
		// Dates are shown on purpose.
		rest := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).ReplaceAllString(text, "D")
		if sevenDigits.MatchString(rest) {
			t.Fatalf("%q: message %q holds 7 digits in a row", in, msg)
		}
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(wordBreaks, r) }) {
			if LooksLikeEmail(w) {
				t.Fatalf("%q: message %q holds an e-mail-like word %q", in, msg, w)
			}
		}
	}
}
