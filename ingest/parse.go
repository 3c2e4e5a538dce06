package ingest

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/lockstep-dev/lockstep/events"
	"github.com/lockstep-dev/lockstep/target"
)

// Reject is one refused record: where it is, which field and why. It is
// also the NDJSON line written to the rejects file. Reasons never carry a
// raw phone number or e-mail address.
type Reject struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Error formats the reject as `events.ndjson:1042: field "time": reason`.
func (r *Reject) Error() string {
	if r.Field == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: field %q: %s", r.File, r.Line, r.Field, r.Reason)
}

// Formats of an input file.
const (
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

type kind uint8

const (
	kindAccount kind = iota + 1
	kindLogin
	kindLookup
)

// event is one validated, normalised record.
type event struct {
	kind    kind
	line    int64
	account string    // the account (its id for an account record)
	at      time.Time // login, lookup

	// account
	handle, country string
	createdAt       time.Time
	verified        bool

	// login
	ip                           netip.Addr
	asn                          uint32
	asOrg, ipCountry, ipKind     string
	device, deviceOS, deviceClnt string

	// lookup
	target  target.Target
	matched bool
	matchID string
}

// fieldError is a validation failure of one field.
type fieldError struct {
	field, reason string
}

func failf(field, format string, args ...any) *fieldError {
	return &fieldError{field, fmt.Sprintf(format, args...)}
}

// parser turns one record of one file into an event. Each worker has its
// own (the target hasher is not safe for concurrent use).
type parser struct {
	hasher *target.Hasher
}

// wire is events.Record with the two time fields kept raw, so that a bad
// time is reported with its field name (encoding/json does not say which
// field an Unmarshaler failed on).
type wire struct {
	events.Record
	CreatedAt json.RawMessage `json:"created_at"`
	Time      json.RawMessage `json:"time"`
}

var timeFields = [2]string{"created_at", "time"}

// parseNDJSON decodes and validates one NDJSON line. The event's strings
// are slices of line (no copies): the aggregator copies what it keeps.
func (p *parser) parseNDJSON(line string) (event, *fieldError) {
	var r events.Record
	var raw [2]rawTime
	if !decodeFast(line, &r, &raw[0], &raw[1]) {
		return p.parseNDJSONSlow(line)
	}
	var times [2]time.Time
	for i := range raw {
		if !raw[i].set {
			continue
		}
		t, err := events.ParseTime(raw[i].text)
		if err != nil {
			return event{}, failf(timeFields[i], "%v", err)
		}
		times[i] = t
	}
	return p.validate(&r, times[0], times[1])
}

// parseNDJSONSlow decodes a line with encoding/json: for the lines the
// fast decoder leaves (escapes, odd types, bad syntax), so that they are
// decoded, or rejected with the same field and reason, as always.
func (p *parser) parseNDJSONSlow(line string) (event, *fieldError) {
	var w wire
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field[strings.LastIndexByte(te.Field, '.')+1:] // "Record.ip_asn"
			return event{}, failf(field, "want a JSON %s, got %s", te.Type, te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return event{}, failf("", "not a JSON object: %v (at byte %d)", se, se.Offset)
		}
		return event{}, failf("", "not a JSON object: %v", err)
	}
	rec := &w.Record
	var times [2]time.Time
	for i, raw := range []json.RawMessage{w.CreatedAt, w.Time} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var t events.Time
		if err := t.UnmarshalJSON(raw); err != nil {
			return event{}, failf(timeFields[i], "%v", err)
		}
		times[i] = t.Time
	}
	return p.validate(rec, times[0], times[1])
}

// csvKind is the record kind a CSV header names, or "" if none.
func csvKind(header []string) string {
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	switch {
	case slices.Equal(header, events.AccountColumns):
		return events.KindAccount
	case slices.Equal(header, events.LoginColumns):
		return events.KindLogin
	case slices.Equal(header, events.LookupColumns):
		return events.KindLookup
	}
	return ""
}

// splitCSV splits one logical CSV record (quoted newlines included) into
// fields: a plain split when it has no quotes (nearly always; the fields
// are slices of rec), else encoding/csv. buf is reused.
func splitCSV(rec string, buf []string) ([]string, error) {
	if strings.IndexByte(rec, '"') < 0 {
		buf = buf[:0]
		for {
			i := strings.IndexByte(rec, ',')
			if i < 0 {
				return append(buf, rec), nil
			}
			buf = append(buf, rec[:i])
			rec = rec[i+1:]
		}
	}
	r := csv.NewReader(strings.NewReader(rec))
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("bad CSV quoting at column %d: %v", pe.Column, pe.Err)
		}
		return nil, fmt.Errorf("bad CSV: %v", err)
	}
	if _, err := r.Read(); err == nil {
		return nil, errors.New("bad CSV: more than one record on the line")
	}
	return fields, nil
}

// parseCSV validates one CSV record of a file of the given kind.
func (p *parser) parseCSV(kind string, rec string, buf []string) (event, []string, *fieldError) {
	fields, err := splitCSV(rec, buf)
	if err != nil {
		return event{}, fields, failf("", "%v", err)
	}
	var cols []string
	switch kind {
	case events.KindAccount:
		cols = events.AccountColumns
	case events.KindLogin:
		cols = events.LoginColumns
	case events.KindLookup:
		cols = events.LookupColumns
	}
	if len(fields) != len(cols) {
		return event{}, fields, failf("", "has %d fields, the %s header has %d", len(fields), kind, len(cols))
	}
	r := events.Record{Kind: kind}
	var createdAt, at time.Time
	var fe *fieldError
	parseTime := func(field, s string) time.Time {
		if s == "" || fe != nil {
			return time.Time{}
		}
		t, err := events.ParseTime(s)
		if err != nil {
			fe = failf(field, "%v", err)
		}
		return t
	}
	switch kind {
	case events.KindAccount:
		r.ID, r.Handle, r.Country = fields[0], fields[1], fields[3]
		createdAt = parseTime("created_at", fields[2])
		switch strings.ToLower(fields[4]) {
		case "", "false", "0":
		case "true", "1":
			r.Verified = true
		default:
			return event{}, fields, failf("verified", "want true or false, got %q", clip(fields[4]))
		}
	case events.KindLogin:
		r.Account, r.IP, r.IPASOrg, r.IPCountry, r.IPKind = fields[0], fields[2], fields[4], fields[5], fields[6]
		r.Device, r.DeviceOS, r.DeviceClient = fields[7], fields[8], fields[9]
		at = parseTime("time", fields[1])
		if fields[3] != "" {
			asn, err := strconv.ParseUint(fields[3], 10, 32)
			if err != nil {
				return event{}, fields, failf("ip_asn", "want a number from 0 to 4294967295, got %q", clip(fields[3]))
			}
			r.IPASN = uint32(asn)
		}
	case events.KindLookup:
		r.Account, r.Target, r.TargetKind, r.Region, r.Matched = fields[0], fields[2], fields[3], fields[4], fields[5]
		at = parseTime("time", fields[1])
	}
	if fe != nil {
		return event{}, fields, fe
	}
	ev, fe := p.validate(&r, createdAt, at)
	return ev, fields, fe
}

// validate checks the fields a kind requires and normalises them.
func (p *parser) validate(r *events.Record, createdAt, at time.Time) (event, *fieldError) {
	var ev event
	var err error
	switch r.Kind {
	case events.KindAccount:
		ev.kind = kindAccount
		if ev.account, err = checkID(r.ID); err != nil {
			return ev, failf("id", "%v", err)
		}
		if ev.handle, err = checkText(r.Handle, 256); err != nil {
			return ev, failf("handle", "%v", err)
		}
		if r.Country != "" {
			if ev.country, err = checkCountry(r.Country); err != nil {
				return ev, failf("country", "%v", err)
			}
		}
		ev.createdAt, ev.verified = createdAt, r.Verified
		return ev, nil
	case events.KindLogin, events.KindLookup:
	case "":
		return ev, failf("kind", "missing (want account, login or lookup)")
	default:
		return ev, failf("kind", "unknown kind %q (want account, login or lookup)", clip(r.Kind))
	}
	if ev.account, err = checkID(r.Account); err != nil {
		return ev, failf("account", "%v", err)
	}
	if at.IsZero() {
		return ev, failf("time", "missing")
	}
	ev.at = at
	if r.Kind == events.KindLogin {
		ev.kind = kindLogin
		if r.IP == "" {
			return ev, failf("ip", "missing")
		}
		addr, err := netip.ParseAddr(r.IP)
		if err != nil {
			return ev, failf("ip", "not an IPv4 or IPv6 address: %q", clip(r.IP))
		}
		if addr.Zone() != "" {
			return ev, failf("ip", "address %q has a zone; want a global address", clip(r.IP))
		}
		ev.ip = addr.Unmap() // ::ffff:1.2.3.4 is 1.2.3.4
		ev.asn = r.IPASN
		if ev.asOrg, err = checkText(r.IPASOrg, 256); err != nil {
			return ev, failf("ip_as_org", "%v", err)
		}
		if r.IPCountry != "" {
			if ev.ipCountry, err = checkCountry(r.IPCountry); err != nil {
				return ev, failf("ip_country", "%v", err)
			}
		}
		if r.IPKind != "" {
			if !slices.Contains(events.IPKinds, r.IPKind) {
				return ev, failf("ip_kind", "unknown kind %q (want one of %s)", clip(r.IPKind), strings.Join(events.IPKinds, ", "))
			}
			ev.ipKind = r.IPKind
		}
		if r.Device != "" {
			if ev.device, err = checkID(r.Device); err != nil {
				return ev, failf("device", "%v", err)
			}
		}
		if ev.deviceOS, err = checkText(r.DeviceOS, 128); err != nil {
			return ev, failf("device_os", "%v", err)
		}
		if ev.deviceClnt, err = checkText(r.DeviceClient, 128); err != nil {
			return ev, failf("device_client", "%v", err)
		}
		return ev, nil
	}
	ev.kind = kindLookup
	if r.Target == "" {
		return ev, failf("target", "missing")
	}
	switch r.TargetKind {
	case "", events.TargetPhone, events.TargetEmail:
	default:
		return ev, failf("target_kind", "unknown kind %q (want phone or email)", clip(r.TargetKind))
	}
	if r.Region != "" {
		if _, err := checkCountry(r.Region); err != nil {
			return ev, failf("region", "%v", err)
		}
	}
	// The target error never holds the raw value (package target).
	if ev.target, err = p.hasher.Normalise(r.Target, r.TargetKind, r.Region); err != nil {
		return ev, failf("target", "%v", err)
	}
	if r.Matched != "" {
		if ev.matchID, err = checkID(r.Matched); err != nil {
			return ev, failf("matched", "%v", err)
		}
		ev.matched = true
	}
	return ev, nil
}

// checkID accepts a non-empty identifier of printable UTF-8 up to 256 bytes.
func checkID(s string) (string, error) {
	if s == "" {
		return "", errors.New("missing")
	}
	if len(s) > 256 {
		return "", fmt.Errorf("longer than 256 bytes (%d)", len(s))
	}
	// Fast path: printable ASCII (0x21..0x7e) is neither a space nor a
	// control character, and is UTF-8.
	i := 0
	for i < len(s) && s[i] > ' ' && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s, nil
	}
	if !utf8.ValidString(s) {
		return "", errors.New("not UTF-8")
	}
	for _, c := range s {
		if unicode.IsControl(c) || unicode.IsSpace(c) {
			return "", fmt.Errorf("contains a space or control character: %q", clip(s))
		}
	}
	return s, nil
}

// checkText accepts optional free text: UTF-8 without control characters.
func checkText(s string, max int) (string, error) {
	if len(s) > max {
		return "", fmt.Errorf("longer than %d bytes (%d)", max, len(s))
	}
	i := 0
	for i < len(s) && s[i] >= ' ' && s[i] < 0x7f { // printable ASCII: fast path
		i++
	}
	if i < len(s) {
		if !utf8.ValidString(s) {
			return "", errors.New("not UTF-8")
		}
		for _, c := range s {
			if unicode.IsControl(c) {
				return "", errors.New("contains a control character")
			}
		}
	}
	return strings.TrimSpace(s), nil
}

// countryCodes[i*26+j] says whether the letters i, j (upper case) are an
// ISO 3166-1 alpha-2 country code, by the rule of isCountry, computed once:
// x/text's region lookup costs more than the rest of a record's checks.
var countryCodes = sync.OnceValue(func() (ok [26 * 26]bool) {
	for i := range 26 {
		for j := range 26 {
			ok[i*26+j] = isCountry(string([]byte{byte('A' + i), byte('A' + j)}))
		}
	}
	return ok
})

// isCountry: x/text knows the region, it is a country, Canonicalize keeps
// it (it maps deprecated aliases: UK to GB, TP to TL), and its ISO3 is not
// ZZZ (the code of exceptionally reserved rather than assigned codes).
func isCountry(up string) bool {
	r, err := language.ParseRegion(up)
	return err == nil && r.IsCountry() && r.Canonicalize().String() == up && r.ISO3() != "ZZZ"
}

// checkCountry accepts an ISO 3166-1 alpha-2 country code in any case and
// returns it in upper case.
func checkCountry(s string) (string, error) {
	if len(s) == 2 {
		a, b := s[0]&^0x20, s[1]&^0x20 // upper case, for letters
		if a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z' && countryCodes()[int(a-'A')*26+int(b-'A')] {
			if s[0] == a && s[1] == b {
				return s, nil
			}
			return string([]byte{a, b}), nil
		}
	}
	return "", fmt.Errorf("%q is not an ISO 3166 alpha-2 country code", clip(s))
}

// clip shortens a value quoted in a reason, so one bad multi-megabyte field
// does not make a multi-megabyte rejects line.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}
