package events

import (
	"fmt"
	"strings"
)

// Phone numbers and e-mail addresses are never logged or stored raw, and a
// bad record can hold one in any field (a number pasted into an id or a
// time column). The functions here recognise their shapes, so that readers
// can refuse them where they do not belong and never echo one in an error.

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

// Quote returns Mask(s) Go-quoted, for an error message.
func Quote(s string) string { return fmt.Sprintf("%q", Mask(s)) }

// Mask returns s for an error message, clipped to 64 bytes, with each run of 7 or more digits (separators between them allowed, as
// in a written phone number) replaced by "[N digits]" and each word with
// an @ and a dotted domain by "[e-mail]". Dates (2024-03-01) are kept, so
// a bad time is still shown; an address such as 192.168.100.300 is not
// (a dotted phone number has the same shape).
func Mask(s string) string {
	s = maskEmails(s)
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
			if n := countDigits(s[i:j]); n >= 7 {
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
	out := b.String()
	if len(out) > maxQuoted {
		out = out[:maxQuoted-3] + "..."
	}
	return out
}

// maskEmails replaces each e-mail-like word of s by "[e-mail]". It runs
// before the digits are masked, whose brackets break words, so no e-mail
// is hidden from it inside a run of digits.
func maskEmails(s string) string {
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

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
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
