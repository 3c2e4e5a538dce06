package target

import "regexp"

// phoneRun matches what a phone number looks like inside free text: 7 to
// 15 digits, possibly broken by spaces, dots, dashes or parentheses, with
// an optional leading +.
var phoneRun = regexp.MustCompile(`\+?\d(?:[\s().-]*\d){6,14}`)

// Redact replaces every phone-shaped value in s with "[redacted]". A digit
// run that is part of a longer word (an id such as rev_0192ab…, a key name
// such as ops-2026-01-07) is not phone-shaped and is kept, so messages stay
// readable; one that starts with + always is. Free text an analyst types
// (review notes, allowlist reasons) goes through it before it is stored,
// as every error message does before it is shown or logged.
func Redact(s string) string {
	locs := phoneRun.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	out := make([]byte, 0, len(s))
	last := 0
	for _, l := range locs {
		if s[l[0]] != '+' && inWord(s, l[0], l[1]) {
			continue
		}
		out = append(out, s[last:l[0]]...)
		out = append(out, "[redacted]"...)
		last = l[1]
	}
	return string(append(out, s[last:]...))
}

// inWord reports whether s[i:j] is joined to a letter, digit or
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
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}
