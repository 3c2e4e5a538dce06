package events

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lockstep-dev/lockstep/target"
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

// FuzzParseTime: accepted times are UTC and from the two forms; an error
// holds nothing that target.Redact would still redact (a phone-shaped run
// or an e-mail-like word).
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
		if msg := err.Error(); target.Redact(msg) != msg {
			t.Fatalf("ParseTime(%q): error %q holds a phone number or e-mail", s, msg)
		}
	})
}
