package target

import (
	"fmt"
	"strings"
)

// Phone numbers and e-mail addresses are never logged or stored raw, and
// any text can hold one: a bad ingest record (a number pasted into an id or
// a time column), a GraphQL error echoing a client's input, an analyst's
// note. This file is the one place that recognises their shapes in text:
// readers refuse them where they do not belong (PhoneDigits,
// LooksLikeEmail), and every message, note and reject goes through Redact.

// phoneSeparators are what people write between the digits of a number.
const phoneSeparators = " -.()/"

// PhoneDigits returns how many digits s holds when s as a whole looks like
// a phone number: an optional leading +, then digits and separators
// (space - . ( ) /), 7 to 15 digits in all (E.164 allows at most 15);
// else 0.
func PhoneDigits(s string) int {
	t := strings.TrimPrefix(s, "+")
	digits := 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte(phoneSeparators, c) >= 0:
		default:
			return 0
		}
	}
	if digits < 7 || digits > 15 {
		return 0
	}
	return digits
}

// LooksLikeEmail reports whether s as a whole has the shape of an e-mail
// address: something, an @, and a domain with a dot inside it.
func LooksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	dot := strings.LastIndexByte(s[at+1:], '.')
	return dot > 0 && dot < len(s)-at-2
}

// maxQuoted bounds a value quoted in an error, so that one multi-megabyte
// field does not make a multi-megabyte rejects line.
const maxQuoted = 64

// Clip returns Redact(s) cut to 64 bytes, for an error message that
// shows a bad value.
func Clip(s string) string {
	out := Redact(s)
	if len(out) > maxQuoted {
		out = out[:maxQuoted-3] + "..."
	}
	return out
}

// Quote returns Clip(s) Go-quoted, redacted again: quoting turns a byte
// that joined a digit run to a word (invalid UTF-8, say) into an escape
// (\xb1) that no longer does.
func Quote(s string) string { return Redact(fmt.Sprintf("%q", Clip(s))) }

// Redact returns s with each e-mail-like word replaced by "[e-mail]" and
// each phone-shaped run, 7 or more digits with separators allowed between
// them as in a written number, by "[N digits]". A run with a + in it is
// always phone-shaped. One joined to a letter, digit or underscore
// (through - _ . if need be) is part of an id or key name
// (rev_0187c3…, ops-20260107-1234567) and is kept, so messages stay
// readable; such a word is not a phone number wherever Lockstep accepts
// one (PhoneDigits is false for it). Dates (2024-03-01) are kept, so a
// bad time is still shown.
func Redact(s string) string {
	s = redactEmails(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDate(s, i):
			b.WriteString(s[i : i+10])
			i += 10
		case c >= '0' && c <= '9' || c == '+' || c == '(':
			j := i + runEnd(s[i:], phoneSeparators+"+")
			// A run ends at its last digit: separators after it stay.
			for j > i && (s[j-1] < '0' || s[j-1] > '9') {
				j--
			}
			if j == i {
				b.WriteByte(c)
				i++
				continue
			}
			// A + anywhere in the run starts a number in E.164 form
			// (0+14155550101 holds one), which no word excuses.
			if n := countDigits(s[i:j]); n >= 7 && (strings.IndexByte(s[i:j], '+') >= 0 || !inWord(s, i, j)) {
				fmt.Fprintf(&b, "[%d digits]", n)
			} else {
				b.WriteString(s[i:j])
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// redactEmails replaces each e-mail-like word of s by "[e-mail]". It runs
// before the digits are redacted, whose brackets break words, so no e-mail
// is hidden from it inside a run of digits.
func redactEmails(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i + wordEnd(s[i:])
		if LooksLikeEmail(s[i:j]) {
			b.WriteString("[e-mail]")
		} else {
			b.WriteString(s[i:j])
		}
		if j < len(s) {
			b.WriteByte(s[j]) // the break
			j++
		}
		i = j
	}
	return b.String()
}

// runEnd is the length of the prefix of s made of digits and seps.
func runEnd(s, seps string) int {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || strings.IndexByte(seps, s[i]) >= 0) {
		i++
	}
	return i
}

const wordBreaks = " \t\r\n\"'<>,;:()[]{}"

// wordEnd is the length of the prefix of s up to a space, quote or
// bracket: the extent of an e-mail-like word.
func wordEnd(s string) int {
	i := strings.IndexAny(s, wordBreaks)
	if i < 0 {
		return len(s)
	}
	return i
}

// isDate: s[i:] starts with dddd-dd-dd, not right after a digit.
func isDate(s string, i int) bool {
	if i > 0 && s[i-1] >= '0' && s[i-1] <= '9' || len(s)-i < 10 {
		return false
	}
	for k, c := range []byte(s[i : i+10]) {
		if (k == 4 || k == 7) != (c == '-') || c != '-' && (c < '0' || c > '9') {
			return false
		}
	}
	return len(s)-i == 10 || s[i+10] < '0' || s[i+10] > '9'
}

// inWord reports whether s[i:j] is joined to a letter or
// underscore, directly or through a run of - _ . characters.
func inWord(s string, i, j int) bool {
	k := i - 1
	for k >= 0 && isJoin(s[k]) {
		k--
	}
	if k >= 0 && isWord(s[k]) {
		return true
	}
	k = j
	for k < len(s) && isJoin(s[k]) {
		k++
	}
	return k < len(s) && isWord(s[k])
}

func isJoin(c byte) bool { return c == '-' || c == '_' || c == '.' }

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
