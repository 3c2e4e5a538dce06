package server

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// decodeParams reads a POST body's GraphQL envelope ({"query": ...,
// "operationName": ..., "variables": {...}, "extensions": {...}}) as
// gqlgen's POST transport does (json.Decoder with UseNumber into
// graphql.RawParams), for the bodies clients send: encoding/json spent
// about a quarter of the layer's own CPU on a small request (reflection,
// and the decoder scanning every byte twice).
//
// ok is false for anything else (other or differently cased keys, a key
// given twice, trailing data, invalid UTF-8, nesting over 64 levels,
// invalid JSON): the caller then decodes with encoding/json, which
// answers those exactly as before. FuzzDecodeParams checks that whenever
// ok is true the result is what encoding/json gives.
func decodeParams(body []byte) (p graphql.RawParams, ok bool) {
	d := envelope{b: body}
	d.space()
	if !d.eat('{') {
		return p, false
	}
	var seen [4]bool
	d.space()
	if d.eat('}') {
		return p, d.end()
	}
	for {
		key, ok := d.member(d.plainKey)
		if !ok {
			return p, false
		}
		slot := -1
		switch key {
		case "query":
			slot = 0
		case "operationName":
			slot = 1
		case "variables":
			slot = 2
		case "extensions":
			slot = 3
		}
		if slot < 0 || seen[slot] {
			return p, false
		}
		seen[slot] = true
		switch slot {
		case 0, 1:
			// null leaves a string field as it was (""), as encoding/json does.
			if !d.literal("null") {
				s, ok := d.str()
				if !ok {
					return p, false
				}
				if slot == 0 {
					p.Query = s
				} else {
					p.OperationName = s
				}
			}
		default:
			var m map[string]any
			if !d.literal("null") {
				if d.peek() != '{' {
					return p, false
				}
				v, ok := d.value(0)
				if !ok {
					return p, false
				}
				m = v.(map[string]any)
			}
			if slot == 2 {
				p.Variables = m
			} else {
				p.Extensions = m
			}
		}
		d.space()
		if d.eat('}') {
			return p, d.end()
		}
		if !d.eat(',') {
			return p, false
		}
	}
}

// maxEnvelopeDepth bounds the fast path's recursion; deeper values go to
// encoding/json (which allows 10,000 levels).
const maxEnvelopeDepth = 64

type envelope struct {
	b []byte
	i int
}

func (d *envelope) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *envelope) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *envelope) eat(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace follows (encoding/json's Decoder
// would ignore anything after the value; such bodies take its path).
func (d *envelope) end() bool {
	d.space()
	return d.i == len(d.b)
}

func (d *envelope) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// member reads an object member's key with readKey and the colon after
// it, with the whitespace around them.
func (d *envelope) member(readKey func() (string, bool)) (string, bool) {
	d.space()
	k, ok := readKey()
	if !ok {
		return "", false
	}
	d.space()
	if !d.eat(':') {
		return "", false
	}
	d.space()
	return k, true
}

// plainKey reads an object key without escapes or non-ASCII bytes: the
// envelope's keys as clients write them.
func (d *envelope) plainKey() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			k := string(d.b[start:d.i])
			d.i++
			return k, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return "", false
		}
		d.i++
	}
	return "", false
}

// str reads a JSON string. Invalid UTF-8 is refused (encoding/json would
// replace it with U+FFFD; those rare bodies take its path).
func (d *envelope) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	var out []byte // made at the first escape: a string without one is copied once, from the body
	run := d.i     // where the bytes not yet in out start
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[run:d.i]
			d.i++
			if out == nil {
				return string(s), true
			}
			return string(append(out, s...)), true
		case c == '\\':
			if out == nil {
				out = make([]byte, 0, len(d.b)-run)
			}
			out = append(out, d.b[run:d.i]...)
			var ok bool
			if out, ok = d.unescape(out); !ok {
				return "", false
			}
			run = d.i
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, n := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && n == 1 {
				return "", false
			}
			d.i += n
		}
	}
	return "", false
}

// unescape appends the character of the escape at d.i (a backslash) to
// out and moves past it.
func (d *envelope) unescape(out []byte) ([]byte, bool) {
	if d.i+1 >= len(d.b) {
		return out, false
	}
	e := d.b[d.i+1]
	d.i += 2
	switch e {
	case '"', '\\', '/':
		return append(out, e), true
	case 'b':
		return append(out, '\b'), true
	case 'f':
		return append(out, '\f'), true
	case 'n':
		return append(out, '\n'), true
	case 'r':
		return append(out, '\r'), true
	case 't':
		return append(out, '\t'), true
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return out, false
		}
		if utf16.IsSurrogate(r) {
			// A pair makes one rune; a lone half becomes U+FFFD, as in
			// encoding/json.
			if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
				save := d.i
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return out, false
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
				} else {
					d.i = save
					r = utf8.RuneError
				}
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.AppendRune(out, r), true
	}
	return out, false
}

func (d *envelope) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// value reads any JSON value as encoding/json decodes it into an any
// with UseNumber: map[string]any, []any, string, json.Number, bool, nil.
func (d *envelope) value(depth int) (any, bool) {
	if depth > maxEnvelopeDepth {
		return nil, false
	}
	switch c := d.peek(); {
	case c == '{':
		d.i++
		m := map[string]any{}
		d.space()
		if d.eat('}') {
			return m, true
		}
		for {
			k, ok := d.member(d.str)
			if !ok {
				return nil, false
			}
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[k] = v // a repeated key: the last one wins, as in encoding/json
			d.space()
			if d.eat('}') {
				return m, true
			}
			if !d.eat(',') {
				return nil, false
			}
		}
	case c == '[':
		d.i++
		a := []any{}
		d.space()
		if d.eat(']') {
			return a, true
		}
		for {
			d.space()
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			a = append(a, v)
			d.space()
			if d.eat(']') {
				return a, true
			}
			if !d.eat(',') {
				return nil, false
			}
		}
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return nil, false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *envelope) number() (any, bool) {
	start := d.i
	d.eat('-')
	digits := func() bool {
		n := d.i
		for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
			d.i++
		}
		return d.i > n
	}
	if d.eat('0') {
		// no more digits may follow a leading zero
	} else if !digits() {
		return nil, false
	}
	if d.eat('.') && !digits() {
		return nil, false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if !digits() {
			return nil, false
		}
	}
	return json.Number(d.b[start:d.i]), true
}
