package ingest

import (
	"unicode/utf8"

	"github.com/lockstep-dev/lockstep/events"
)

// A schema-specific NDJSON decoder for the common case. encoding/json's
// reflection costs about 3 µs a record, most of the Go side of a load;
// this one reads the flat objects that producers write in a fraction of
// that, without allocating (strings are slices of the line).
//
// It accepts only what it can decode exactly as encoding/json would into
// wire: one object of known fields with string, number, bool and null
// values, unknown fields with scalar values, no escapes, valid UTF-8, no
// duplicate known fields. Anything else (escapes, nested values, type
// mismatches, syntax errors, keys that encoding/json would match case-
// insensitively) makes it give up, and parseNDJSON decodes the line with
// encoding/json instead, which yields the same result or the same error
// as before. FuzzFastNDJSON checks that both paths agree on every line the
// fast one accepts.

// rawTime is a time field as written: a JSON string's content or a number
// literal.
type rawTime struct {
	text     string
	isString bool
	set      bool // present and not null
}

// Field numbers: bits of a seen-set that catches duplicates.
const (
	fKind = iota
	fID
	fHandle
	fCreatedAt
	fCountry
	fVerified
	fAccount
	fTime
	fIP
	fIPASN
	fIPASOrg
	fIPCountry
	fIPKind
	fDevice
	fDeviceOS
	fDeviceClient
	fTarget
	fTargetKind
	fRegion
	fMatched
	fUnknown
)

func fieldNumber(key string) int {
	switch key {
	case "kind":
		return fKind
	case "id":
		return fID
	case "handle":
		return fHandle
	case "created_at":
		return fCreatedAt
	case "country":
		return fCountry
	case "verified":
		return fVerified
	case "account":
		return fAccount
	case "time":
		return fTime
	case "ip":
		return fIP
	case "ip_asn":
		return fIPASN
	case "ip_as_org":
		return fIPASOrg
	case "ip_country":
		return fIPCountry
	case "ip_kind":
		return fIPKind
	case "device":
		return fDevice
	case "device_os":
		return fDeviceOS
	case "device_client":
		return fDeviceClient
	case "target":
		return fTarget
	case "target_kind":
		return fTargetKind
	case "region":
		return fRegion
	case "matched":
		return fMatched
	}
	return fUnknown
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fastScanner walks one line.
type fastScanner struct {
	s string
	i int
}

func (sc *fastScanner) skipSpace() {
	for sc.i < len(sc.s) && isJSONSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// str reads a string without escapes or control characters whose content
// is valid UTF-8 (encoding/json would replace invalid bytes); the opening
// quote is at sc.i.
func (sc *fastScanner) str() (string, bool) {
	start := sc.i + 1
	ascii := true
	for j := start; j < len(sc.s); j++ {
		c := sc.s[j]
		switch {
		case c == '"':
			v := sc.s[start:j]
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			sc.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// digits returns the index past the decimal digits that start s[j:].
func digits(s string, j int) int {
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j
}

// number reads a JSON number literal at sc.i (full JSON grammar).
func (sc *fastScanner) number() (string, bool) {
	s, j := sc.s, sc.i
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		j = digits(s, j)
	default:
		return "", false
	}
	if j < len(s) && s[j] == '.' {
		d := j + 1
		if j = digits(s, d); j == d {
			return "", false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		d := j
		if j = digits(s, d); j == d {
			return "", false
		}
	}
	v := s[sc.i:j]
	sc.i = j
	return v, true
}

// literal reads true, false or null.
func (sc *fastScanner) literal() (string, bool) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(sc.s)-sc.i >= len(lit) && sc.s[sc.i:sc.i+len(lit)] == lit {
			sc.i += len(lit)
			return lit, true
		}
	}
	return "", false
}

// decodeFast decodes line into r and the two raw time fields; false means
// "decode it with encoding/json".
func decodeFast(line string, r *events.Record, createdAt, at *rawTime) bool {
	sc := fastScanner{s: line}
	sc.skipSpace()
	if sc.i >= len(line) || line[sc.i] != '{' {
		return false
	}
	sc.i++
	sc.skipSpace()
	var seen uint32
	if sc.i < len(line) && line[sc.i] == '}' {
		sc.i++
	} else {
		for {
			if sc.i >= len(line) || line[sc.i] != '"' {
				return false
			}
			key, ok := sc.str()
			if !ok {
				return false
			}
			f := fieldNumber(key)
			if f == fUnknown {
				// encoding/json matches keys case-insensitively (with
				// Unicode folding): only keys that cannot fold to a known
				// field name are skipped here.
				for k := 0; k < len(key); k++ {
					if c := key[k]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
						return false
					}
				}
			} else {
				if seen&(1<<f) != 0 {
					return false // duplicate: rare, left to encoding/json
				}
				seen |= 1 << f
			}
			sc.skipSpace()
			if sc.i >= len(line) || line[sc.i] != ':' {
				return false
			}
			sc.i++
			sc.skipSpace()
			if sc.i >= len(line) {
				return false
			}
			var v string
			var isStr, isNum bool
			switch c := line[sc.i]; {
			case c == '"':
				v, ok = sc.str()
				isStr = true
			case c == '-' || c >= '0' && c <= '9':
				v, ok = sc.number()
				isNum = true
			case c == 't' || c == 'f' || c == 'n':
				v, ok = sc.literal()
			default:
				return false // object, array or bad syntax
			}
			if !ok {
				return false
			}
			if !setField(f, v, isStr, isNum, r, createdAt, at) {
				return false
			}
			sc.skipSpace()
			if sc.i >= len(line) {
				return false
			}
			if line[sc.i] == ',' {
				sc.i++
				sc.skipSpace()
				continue
			}
			if line[sc.i] == '}' {
				sc.i++
				break
			}
			return false
		}
	}
	sc.skipSpace()
	return sc.i == len(line)
}

// setField stores one value; false when encoding/json would do something
// other than a plain assignment (a type error, a number that does not fit).
func setField(f int, v string, isStr, isNum bool, r *events.Record, createdAt, at *rawTime) bool {
	null := !isStr && !isNum && v == "null"
	switch f {
	case fUnknown:
		return true
	case fCreatedAt, fTime:
		t := createdAt
		if f == fTime {
			t = at
		}
		switch {
		case null:
		case isStr || isNum:
			*t = rawTime{text: v, isString: isStr, set: true}
		default:
			return false // true/false: let encoding/json and Time say it
		}
		return true
	case fVerified:
		if isStr || isNum {
			return false
		}
		if !null {
			r.Verified = v == "true"
		}
		return true
	case fIPASN:
		if null {
			return true
		}
		if !isNum || len(v) > 10 {
			return false
		}
		var n uint64
		for k := 0; k < len(v); k++ {
			c := v[k]
			if c < '0' || c > '9' {
				return false // negative, fraction, exponent: a type error
			}
			n = n*10 + uint64(c-'0')
		}
		if n > 1<<32-1 {
			return false
		}
		r.IPASN = uint32(n)
		return true
	}
	if null {
		return true // encoding/json leaves a string field as it is on null
	}
	if !isStr {
		return false
	}
	switch f {
	case fKind:
		r.Kind = v
	case fID:
		r.ID = v
	case fHandle:
		r.Handle = v
	case fCountry:
		r.Country = v
	case fAccount:
		r.Account = v
	case fIP:
		r.IP = v
	case fIPASOrg:
		r.IPASOrg = v
	case fIPCountry:
		r.IPCountry = v
	case fIPKind:
		r.IPKind = v
	case fDevice:
		r.Device = v
	case fDeviceOS:
		r.DeviceOS = v
	case fDeviceClient:
		r.DeviceClient = v
	case fTarget:
		r.Target = v
	case fTargetKind:
		r.TargetKind = v
	case fRegion:
		r.Region = v
	case fMatched:
		r.Matched = v
	}
	return true
}
