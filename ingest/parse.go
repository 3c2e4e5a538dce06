package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	latest time.Time // the latest time accepted; set on first use
}

// earliestTime is the earliest time accepted. Older times in this data are
// defaults or mistakes (year 1, Unix time 0), not events: stored, they
// would skew every first-seen and timeline.
var earliestTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// futureSlack is how far after the start of a load a time may be (clock
// skew between producers). Later is a clock error, or a phone number read
// as Unix seconds.
const futureSlack = 24 * time.Hour

// parseTime reads one time field and checks its range.
func (p *parser) parseTime(field, text string) (time.Time, *fieldError) {
	t, err := events.ParseTime(text)
	if err != nil {
		return time.Time{}, failf(field, "%v", err)
	}
	return t, p.checkTime(field, t)
}

// checkTime refuses a time outside [earliestTime, start of load + 1 day].
// The reason gives the year only: the exact time of a phone number read as
// Unix seconds would give the number back.
func (p *parser) checkTime(field string, t time.Time) *fieldError {
	if p.latest.IsZero() {
		p.latest = time.Now().UTC().Add(futureSlack).Truncate(time.Second)
	}
	switch {
	case t.Before(earliestTime):
		return failf(field, "year %d is before %s, the earliest time accepted", t.Year(), earliestTime.Format(time.DateOnly))
	case t.After(p.latest):
		return failf(field, "year %d is after %s, the latest time accepted (1 day after the load started)", t.Year(), p.latest.Format(time.RFC3339))
	}
	return nil
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
		var fe *fieldError
		if times[i], fe = p.parseTime(timeFields[i], raw[i].text); fe != nil {
			return event{}, fe
		}
	}
	return p.validate(&r, times[0], times[1])
}

// parseNDJSONSlow decodes a line with encoding/json: for the lines the
// fast decoder leaves (escapes, odd types, bad syntax), so that they are
// decoded, or rejected with the same field and reason, as always.
func (p *parser) parseNDJSONSlow(line string) (event, *fieldError) {
	if !utf8.ValidString(line) || strings.Contains(line, `\u`) {
		if fe := textFault(line); fe != nil {
			return event{}, fe
		}
	}
	var w wire
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field[strings.LastIndexByte(te.Field, '.')+1:] // "Record.ip_asn"
			// te.Value holds a number's literal: masked, as it may be a
			// phone number.
			return event{}, failf(field, "want a JSON %s, got %s", te.Type, target.Clip(te.Value))
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
		if fe := p.checkTime(timeFields[i], t.Time); fe != nil {
			return event{}, fe
		}
		times[i] = t.Time
	}
	return p.validate(rec, times[0], times[1])
}

// textFault finds the field of a JSON object line that holds bytes that
// are not UTF-8, or a \u escape of a lone UTF-16 surrogate: encoding/json
// would quietly store either as U+FFFD. Nil when there is none, or when
// the line is not a JSON object (the decoder then says why).
func textFault(line string) *fieldError {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if reason := badText([]byte(line[start:dec.InputOffset()])); reason != "" {
			return failf("", "a field name %s", reason)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		if reason := badText(v); reason != "" {
			// An ignored field's name is the producer's: masked like a value.
			return failf(target.Clip(tok.(string)), "%s", reason)
		}
	}
	return nil
}

// badText says what is wrong with the text of a raw JSON value: bytes that
// are not UTF-8, or escapes that decode to U+FFFD although the value does
// not write one (a lone surrogate such as \ud800); "" if nothing.
func badText(raw []byte) string {
	if i := invalidUTF8(raw); i >= 0 {
		return fmt.Sprintf("is not UTF-8 (byte 0x%02x at byte %d of the value)", raw[i], i+1)
	}
	if !bytes.Contains(raw, []byte(`\u`)) {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	written := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(raw), []byte(`\ufffd`))
	if countReplacements(v) > written {
		return `holds a \u escape of a lone UTF-16 surrogate (not a character)`
	}
	return ""
}

// countReplacements counts U+FFFD in every string of a decoded value.
func countReplacements(v any) int {
	switch v := v.(type) {
	case string:
		return strings.Count(v, "\uFFFD")
	case []any:
		n := 0
		for _, e := range v {
			n += countReplacements(e)
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range v {
			n += strings.Count(k, "\uFFFD") + countReplacements(e)
		}
		return n
	}
	return 0
}

// invalidUTF8 is the index of the first byte of b that starts no valid
// UTF-8 sequence, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
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

// splitCSV splits one CSV record, which is one line (docs/FORMATS.md: no
// valid field can hold a newline, so a record never spans lines, and a
// bad quote costs its own line only), into fields: a plain split when it
// has no quotes (nearly always; the fields are slices of rec), else
// encoding/csv. buf is reused. A quoting error is a *csvQuoteError.
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
	if err == nil {
		if _, err := r.Read(); err != io.EOF {
			// A quoted newline: a reader that splits lines never passes one.
			return nil, &csvQuoteError{field: -1, reason: "a record of more than one line"}
		}
		return fields, nil
	}
	if field, reason := quoteFault(rec); field >= 0 {
		return nil, &csvQuoteError{field: field, reason: reason}
	}
	return nil, &csvQuoteError{field: -1, reason: err.Error()}
}

// csvQuoteError is a line whose quotes break RFC 4180.
type csvQuoteError struct {
	field  int // 0-based; -1 if unknown
	reason string
}

func (e *csvQuoteError) Error() string {
	if e.field < 0 {
		return "bad CSV quoting: " + e.reason
	}
	return fmt.Sprintf("bad CSV quoting in field %d: %s", e.field+1, e.reason)
}

// quoteFault finds the field where a line's quoting first breaks RFC 4180,
// and why; -1 if it does not. encoding/csv says only at which byte.
func quoteFault(rec string) (field int, reason string) {
	inQuotes, atStart := false, true
	for i := 0; i < len(rec); i++ {
		c := rec[i]
		if inQuotes {
			if c != '"' {
				continue
			}
			if i+1 < len(rec) && rec[i+1] == '"' {
				i++ // a doubled quote inside quotes
				continue
			}
			inQuotes = false
			if i+1 < len(rec) && rec[i+1] != ',' {
				return field, `text after the closing quote of a quoted field (double a quote inside quotes: "a""b")`
			}
			continue
		}
		switch {
		case c == ',':
			field, atStart = field+1, true
			continue
		case c == '"' && atStart:
			inQuotes = true
		case c == '"':
			return field, `a quote inside an unquoted field (quote the field and double the quote: "a""b")`
		}
		atStart = false
	}
	if inQuotes {
		return field, "unbalanced quote: the quoted field is not closed on its line (a CSV record is one line)"
	}
	return -1, ""
}

// csvColumns are the columns of a kind's CSV file.
func csvColumns(kind string) []string {
	switch kind {
	case events.KindAccount:
		return events.AccountColumns
	case events.KindLogin:
		return events.LoginColumns
	case events.KindLookup:
		return events.LookupColumns
	}
	return nil
}

// columnName is the name of column i, or "" past the header's end.
func columnName(cols []string, i int) string {
	if i < 0 || i >= len(cols) {
		return ""
	}
	return cols[i]
}

// parseCSV validates one CSV record of a file of the given kind.
func (p *parser) parseCSV(kind string, rec string, buf []string) (event, []string, *fieldError) {
	cols := csvColumns(kind)
	fields, err := splitCSV(rec, buf)
	if err != nil {
		var qe *csvQuoteError
		if errors.As(err, &qe) {
			return event{}, fields, failf(columnName(cols, qe.field), "%v", err)
		}
		return event{}, fields, failf("", "%v", err)
	}
	if !utf8.ValidString(rec) {
		for i, f := range fields {
			if j := invalidUTF8([]byte(f)); j >= 0 {
				return event{}, fields, failf(columnName(cols, i), "is not UTF-8 (byte 0x%02x at byte %d of the field)", f[j], j+1)
			}
		}
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
		var t time.Time
		t, fe = p.parseTime(field, s)
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
			return event{}, fields, failf("verified", "want true or false, got %q", target.Clip(fields[4]))
		}
	case events.KindLogin:
		r.Account, r.IP, r.IPASOrg, r.IPCountry, r.IPKind = fields[0], fields[2], fields[4], fields[5], fields[6]
		r.Device, r.DeviceOS, r.DeviceClient = fields[7], fields[8], fields[9]
		at = parseTime("time", fields[1])
		if fields[3] != "" {
			asn, err := strconv.ParseUint(fields[3], 10, 32)
			if err != nil {
				return event{}, fields, failf("ip_asn", "want a number from 0 to 4294967295, got %q", target.Clip(fields[3]))
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
		if ev.account, err = checkAccountID(r.ID); err != nil {
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
		return ev, failf("kind", "unknown kind %q (want account, login or lookup)", target.Clip(r.Kind))
	}
	if ev.account, err = checkAccountID(r.Account); err != nil {
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
			return ev, failf("ip", "not an IPv4 or IPv6 address: %q", target.Clip(r.IP))
		}
		if addr.Zone() != "" {
			return ev, failf("ip", "address %q has a zone; want a global address", target.Clip(r.IP))
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
				return ev, failf("ip_kind", "unknown kind %q (want one of %s)", target.Clip(r.IPKind), strings.Join(events.IPKinds, ", "))
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
		return ev, failf("target_kind", "unknown kind %q (want phone or email)", target.Clip(r.TargetKind))
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
		if ev.matchID, err = checkAccountID(r.Matched); err != nil {
			return ev, failf("matched", "%v", err)
		}
		ev.matched = true
	}
	return ev, nil
}

// checkAccountID is checkID for an account id, which must not look like a
// phone number or an e-mail address: the graph and the API show account
// ids as they are, so such an id would store and show a number raw. A
// number of digits only (numeric platform ids) is an id; with a + or the
// separators people write numbers with, it is a phone number. The reason
// gives the digit count, never the digits.
func checkAccountID(s string) (string, error) {
	if n := target.PhoneDigits(s); n > 0 && !isDigits(s) {
		return "", fmt.Errorf("account id looks like a phone number (%d digits); phone numbers are never stored raw", n)
	}
	if target.LooksLikeEmail(s) {
		return "", errors.New("account id looks like an e-mail address; e-mail addresses are never stored raw")
	}
	return checkID(s)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
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
			return "", fmt.Errorf("contains a space or control character: %q", target.Clip(s))
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
	return "", fmt.Errorf("%q is not an ISO 3166 alpha-2 country code", target.Clip(s))
}
