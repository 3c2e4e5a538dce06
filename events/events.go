// Package events defines the wire form of the raw records Lockstep ingests:
// accounts, logins and lookups, as NDJSON lines or CSV rows (docs/FORMATS.md).
// The generator writes them and ingest reads them, so both share these types.
package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lockstep-dev/lockstep/target"
)

// Record kinds, the value of the "kind" field of an NDJSON line.
const (
	KindAccount = "account"
	KindLogin   = "login"
	KindLookup  = "lookup"
)

// Target kinds of a lookup.
const (
	TargetPhone = "phone"
	TargetEmail = "email"
)

// IP kinds as the platform's IP intelligence reports them.
var IPKinds = []string{"residential", "mobile", "datacenter", "vpn", "tor", "campus", "unknown"}

// Record is one raw event line. Which fields matter depends on Kind; ingest
// validates them. Fields are strings or Time so that a bad value is reported
// by ingest with its field name instead of failing JSON decoding as a whole.
type Record struct {
	Kind string `json:"kind"`

	// account
	ID        string `json:"id,omitempty"`
	Handle    string `json:"handle,omitempty"`
	CreatedAt *Time  `json:"created_at,omitempty"`
	Country   string `json:"country,omitempty"`
	Verified  bool   `json:"verified,omitempty"`

	// login and lookup
	Account string `json:"account,omitempty"`
	Time    *Time  `json:"time,omitempty"`

	// login
	IP           string `json:"ip,omitempty"`
	IPASN        uint32 `json:"ip_asn,omitempty"`
	IPASOrg      string `json:"ip_as_org,omitempty"`
	IPCountry    string `json:"ip_country,omitempty"`
	IPKind       string `json:"ip_kind,omitempty"`
	Device       string `json:"device,omitempty"`
	DeviceOS     string `json:"device_os,omitempty"`
	DeviceClient string `json:"device_client,omitempty"`

	// lookup
	Target     string `json:"target,omitempty"`
	TargetKind string `json:"target_kind,omitempty"`
	Region     string `json:"region,omitempty"`
	Matched    string `json:"matched,omitempty"`
}

// CSV headers, one file per record kind. Ingest recognises a CSV file's kind
// by its header, so column order is fixed.
var (
	AccountColumns = []string{"id", "handle", "created_at", "country", "verified"}
	LoginColumns   = []string{"account", "time", "ip", "ip_asn", "ip_as_org", "ip_country", "ip_kind", "device", "device_os", "device_client"}
	LookupColumns  = []string{"account", "time", "target", "target_kind", "region", "matched"}
)

// Time is a timestamp written as RFC 3339 and read from RFC 3339 or Unix
// seconds (a JSON number or a string of digits).
type Time struct{ time.Time }

// NewTime wraps t, in UTC.
func NewTime(t time.Time) *Time { return &Time{t.UTC()} }

// MarshalJSON writes RFC 3339 in UTC.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(time.RFC3339) + `"`), nil
}

// UnmarshalJSON accepts an RFC 3339 string, a string of digits or a number
// (Unix seconds).
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		parsed, err := ParseTime(s)
		if err != nil {
			return err
		}
		t.Time = parsed
		return nil
	}
	parsed, err := ParseTime(string(b))
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// ParseTime reads RFC 3339 or Unix seconds (digits only: no sign, no
// fraction). It checks the form, not the range: that is the reader's policy
// (ingest accepts 2000 to now + 1 day). Its errors never hold a value that
// looks like a phone number or e-mail address (Quote).
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	// Only digits can be Unix seconds: RFC 3339 times skip ParseInt,
	// whose error for them costs an allocation. A sign is refused, so a
	// phone number in E.164 form (+14155552323) is not read as a time.
	if isDigits(s) {
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil && secs <= 1<<40 {
			return time.Unix(secs, 0).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("unix time of %d digits is out of range", len(s))
	}
	parsed, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %s is neither RFC 3339 nor Unix seconds", target.Quote(s))
	}
	return parsed.UTC(), nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
