package events

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// oldParseTime is ParseTime before the integer check.
func oldParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < 0 || secs > 1<<40 {
			return time.Time{}, fmt.Errorf("unix time %d out of range", secs)
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	parsed, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 nor Unix seconds", s)
	}
	return parsed.UTC(), nil
}

func sameParseTime(t *testing.T, s string) {
	t.Helper()
	got, err := ParseTime(s)
	want, werr := oldParseTime(s)
	if !reflect.DeepEqual(got, want) || fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("ParseTime(%q) = %v, %v; want %v, %v", s, got, err, want, werr)
	}
}

func TestParseTimeSameAsBefore(t *testing.T) {
	for _, s := range []string{"", "0", "+5", "-1", "-0", "1709294400", "1099511627776", "1099511627777",
		"99999999999999999999", "+", "-", "1e9", "1.5", " 1", "1 ", "0x10", "1_000",
		"2024-03-01T12:00:00Z", "2024-03-01T13:00:00+01:00", "2024-03-01T12:00:00.123456789Z", "2024-13-01T00:00:00Z", "yesterday"} {
		sameParseTime(t, s)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1709294400", "+5", "-1", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.5-07:00", "1e9", ""} {
		f.Add(s)
	}
	f.Fuzz(sameParseTime)
}
