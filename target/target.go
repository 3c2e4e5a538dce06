// Package target turns the raw value of a lookup (a phone number or an
// e-mail address) into what Lockstep stores: a keyed hash, a masked form for
// display and the block/offset that sweep detection needs. The raw value
// never leaves this package: errors name its length, never its digits.
package target

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Kinds of target, as in events.TargetPhone and events.TargetEmail.
const (
	Phone = "phone"
	Email = "email"
)

// Target is a normalised lookup target. Key is HMAC-SHA256(key, normalised
// value) in hex; Masked is safe to show: for a phone number it names the
// number's group of 100 (GroupLabel), never more, so that it is shared by
// 100 numbers; Block is the number block (E.164 without its last four
// digits, e.g. "+1415555") or the e-mail domain; Offset is the number's
// position in its block (0..9999), -1 for e-mail.
// No field is a slice of the raw value passed to Normalise, so a Target may
// outlive the buffer the raw value came from.
type Target struct {
	Key    string
	Masked string
	Kind   string
	Region string
	Block  string
	Offset int
	// Invalid marks a phone number that is well formed (a known country
	// code, 7 to 15 digits) but that no numbering plan allows, such as
	// an unallocated range. Such numbers are kept, not rejected: a lookup
	// of a number that cannot exist is still a lookup, and an enumeration
	// of unallocated ranges is still an enumeration. Only malformed values
	// are errors.
	Invalid bool
}

// ErrInvalid is wrapped by every error about a bad target value.
var ErrInvalid = errors.New("invalid target")

// Hasher normalises targets and hashes them with one key. It is not safe for
// concurrent use (it reuses one HMAC state); make one per goroutine.
type Hasher struct {
	mac hash.Hash
	sum []byte
	hex []byte
	// blocks caches what phonenumbers said about a block of 10,000
	// numbers (E.164 without its last four digits), so that a number in
	// canonical E.164 form from a known block skips libphonenumber's
	// regular expressions (about 30µs a number; sweeps and organic contact
	// lists hit the same blocks over and over). Valid and invalid blocks
	// are cached alike, but only for national numbers of at least eight digits
	// (minNSNCached): for those libphonenumber's validity patterns end in
	// plain digit runs, so validity does not depend on the last four digits
	// (TestValidityIgnoresLastFourDigits checks every region). Short
	// numbering plans (small islands) always take the full check.
	blocks map[string]blockInfo
}

type blockInfo struct {
	block  string // the key: E.164 without its last four digits
	region string
	// format is the block's numbers in international format with the
	// last four digits zero (blockFormat): GroupLabel's template.
	format string
	// invalid: no numbering plan allows the block's numbers.
	invalid bool
}

// sharedBlocks is what every Hasher of the process has learnt about
// blocks. A Hasher looks here when its own cache misses, so that parallel
// parsers pay libphonenumber's cost once per block rather than once per
// block and parser. What phonenumbers says about a block does not depend
// on the HMAC key, so Hashers of different keys share it too.
var sharedBlocks struct {
	sync.RWMutex
	m map[string]blockInfo
}

func sharedBlock(block string) (blockInfo, bool) {
	sharedBlocks.RLock()
	b, ok := sharedBlocks.m[block]
	sharedBlocks.RUnlock()
	return b, ok
}

func shareBlock(b blockInfo) {
	sharedBlocks.Lock()
	if sharedBlocks.m == nil || len(sharedBlocks.m) >= maxBlocks {
		sharedBlocks.m = make(map[string]blockInfo)
	}
	sharedBlocks.m[b.block] = b
	sharedBlocks.Unlock()
}

// remember adds a block to this Hasher's cache.
func (h *Hasher) remember(b blockInfo) {
	if len(h.blocks) >= maxBlocks {
		clear(h.blocks)
	}
	h.blocks[b.block] = b
}

// minNSNCached is the shortest national number whose block is cached.
const minNSNCached = 8

// maxBlocks bounds the block cache (about 100 bytes an entry).
const maxBlocks = 1 << 19

// NewHasher returns a Hasher keyed with key (config.Config.HMACKey). It
// panics on an empty key, which would make the hashes a plain dictionary
// attack away from the raw numbers.
func NewHasher(key []byte) *Hasher {
	if len(key) == 0 {
		panic("target: empty HMAC key")
	}
	return &Hasher{mac: hmac.New(sha256.New, key), sum: make([]byte, 0, sha256.Size), hex: make([]byte, 2*sha256.Size), blocks: make(map[string]blockInfo)}
}

// Key returns the hex HMAC of a normalised value.
func (h *Hasher) Key(normalised string) string {
	h.mac.Reset()
	h.mac.Write([]byte(normalised))
	h.sum = h.mac.Sum(h.sum[:0])
	hex.Encode(h.hex, h.sum)
	return string(h.hex)
}

// Normalise parses raw as kind ("phone", "email" or "" to infer it: an "@"
// means e-mail) and returns the stored form. region (ISO 3166 alpha-2) is
// needed for phone numbers written in national form and ignored otherwise.
func (h *Hasher) Normalise(raw, kind, region string) (Target, error) {
	if kind == "" {
		if strings.Contains(raw, "@") {
			kind = Email
		} else {
			kind = Phone
		}
	}
	switch kind {
	case Phone:
		return h.phone(raw, region)
	case Email:
		return h.email(raw)
	}
	return Target{}, fmt.Errorf("%w: unknown target kind %q (want phone or email)", ErrInvalid, kind)
}

// phoneParseRegion is the region passed to phonenumbers for numbers in E.164
// form: "ZZ" means unknown, so a number without "+" and without a region is
// rejected instead of being guessed.
const phoneParseRegion = "ZZ"

func (h *Hasher) phone(raw, region string) (Target, error) {
	if isE164(raw) {
		if b, ok := h.blocks[raw[:len(raw)-4]]; ok {
			return h.phoneTarget(raw, b), nil
		}
		if b, ok := sharedBlock(raw[:len(raw)-4]); ok {
			h.remember(b)
			return h.phoneTarget(raw, b), nil
		}
	}
	digits := countDigits(raw)
	if digits == 0 {
		return Target{}, fmt.Errorf("%w: phone number has no digits (length %d)", ErrInvalid, len(raw))
	}
	if len(raw) > 64 {
		return Target{}, fmt.Errorf("%w: phone number too long (length %d)", ErrInvalid, len(raw))
	}
	r := strings.ToUpper(strings.TrimSpace(region))
	if r == "" {
		r = phoneParseRegion
	}
	num, err := phonenumbers.Parse(raw, r)
	if err != nil {
		// phonenumbers' errors are fixed strings without the number.
		return Target{}, fmt.Errorf("%w: phone number (%d digits) does not parse with region %q: %v", ErrInvalid, digits, region, err)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) {
		return Target{}, fmt.Errorf("%w: phone number too short (%d digits)", ErrInvalid, len(e164)-1)
	}
	block := e164[:len(e164)-4]
	b := blockInfo{block: block, format: blockFormat(block)}
	if phonenumbers.IsValidNumber(num) {
		b.region = phonenumbers.GetRegionCodeForNumber(num)
	} else {
		// No plan allows it, so nothing made its digits canonical: keep
		// it only when its international form reads back as itself, or
		// the same number would be two targets (a leading zero kept in
		// one spelling and dropped in another).
		again, err := phonenumbers.Parse(e164, phoneParseRegion)
		if err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
			return Target{}, fmt.Errorf("%w: phone number (%d digits) is in no numbering plan and has no single international form", ErrInvalid, digits)
		}
		// The calling code still names the country whose plan an
		// enumeration walks.
		b.invalid = true
		if r := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); r != "ZZ" {
			b.region = r
		}
	}
	if len(e164)-1-len(fmt.Sprint(num.GetCountryCode())) >= minNSNCached {
		h.remember(b)
		shareBlock(b)
	}
	return h.phoneTarget(e164, b), nil
}

// isE164 reports whether s is "+" and 7 to 15 digits, the first not 0.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (h *Hasher) phoneTarget(e164 string, b blockInfo) Target {
	offset := 0
	for _, c := range e164[len(e164)-4:] {
		offset = offset*10 + int(c-'0')
	}
	return Target{
		Key:     h.Key(e164),
		Masked:  fillLast4(b.format, offset/100, "xx"),
		Kind:    Phone,
		Region:  b.region,
		Block:   b.block, // from the cache: not a slice of the raw input
		Offset:  offset,
		Invalid: b.invalid,
	}
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

func (h *Hasher) email(raw string) (Target, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if len(s) > 254 {
		return Target{}, fmt.Errorf("%w: e-mail address too long (length %d)", ErrInvalid, len(s))
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return Target{}, fmt.Errorf("%w: e-mail address (length %d) needs a local part and a domain", ErrInvalid, len(s))
	}
	local, domain := s[:at], s[at+1:]
	if err := checkEmailParts(local, domain); err != nil {
		return Target{}, fmt.Errorf("%w: e-mail address (length %d): %s", ErrInvalid, len(s), err)
	}
	first, _ := utf8.DecodeRuneInString(local)
	return Target{
		Key:    h.Key(s),
		Masked: string(first) + "***@" + domain,
		Kind:   Email,
		Block:  strings.Clone(domain), // not a slice of raw (see Target)
		Offset: -1,
	}, nil
}

// checkEmailParts accepts the dot-atom addresses people actually look up
// (RFC 5322 without quoted local parts or comments, which contact discovery
// never sees), with a domain of at least two labels.
func checkEmailParts(local, domain string) error {
	if len(local) > 64 {
		return errors.New("local part longer than 64")
	}
	if !utf8.ValidString(local) || !utf8.ValidString(domain) {
		return errors.New("not UTF-8")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return errors.New("misplaced dot in local part")
	}
	for _, c := range local {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`"(),:;<>@[\]`, c) {
			return errors.New("local part has a character that needs quoting")
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errors.New("domain has no dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("bad domain label")
		}
		for _, c := range l {
			if !(c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80) {
				return errors.New("bad character in domain")
			}
		}
	}
	return nil
}

// BlockLabel shows a number block (E.164 without its last four digits,
// "+1415555") as an analyst writes it, in the country's international
// format with the last four digits masked: "+1 415-555-xxxx". It never
// needs a full number, so none can leak. Blocks the numbering plan does
// not know are grouped in threes ("+1 415 555 xxxx").
func BlockLabel(block string) string {
	if !strings.HasPrefix(block, "+") {
		return block
	}
	return fillLast4(blockFormat(block), -1, "xxxx")
}

// GroupLabel is the masked form of the numbers at offsets 100*(offset/100)
// to 100*(offset/100)+99 of block: the block's label with the first two of
// the last four digits shown, "+1 415-555-01xx". It is the finest thing
// the API says about a phone number (docs/API.md, "Privacy of looked-up
// numbers"): 100 numbers share it. It is a pure function of block and
// offset/100, so a stored masked form can be recomputed from the stored
// block and offset (store.Migrate does).
func GroupLabel(block string, offset int) string {
	if !strings.HasPrefix(block, "+") || offset < 0 || offset > 9999 {
		return BlockLabel(block)
	}
	return fillLast4(blockFormat(block), offset/100, "xx")
}

// blockFormat writes a number of block (its last four digits zero) in the
// country's international format, or, when the numbering plan does not
// know the block or its format does not end in the four digits, in groups
// of three: "+1 415-555-0000", "+1 415 555 0000".
func blockFormat(block string) string {
	if num, err := phonenumbers.Parse(block+"0000", ""); err == nil {
		f := phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
		// Only when the format puts a separator before the last four
		// digits; otherwise the masked part would not read as a block.
		if len(f) > 5 && strings.HasSuffix(f, "0000") && strings.ContainsRune(" -", rune(f[len(f)-5])) {
			return f
		}
	}
	digits := block[1:]
	cc := 1
	if len(digits) > 0 && digits[0] != '1' && digits[0] != '7' {
		cc = 2
		if len(digits) >= 3 && strings.ContainsRune("2389", rune(digits[0])) && !twoDigitCC[digits[:2]] {
			cc = 3
		}
	}
	cc = min(cc, len(digits))
	rest := digits[cc:]
	var parts []string
	for len(rest) > 3 {
		parts = append(parts, rest[:3])
		rest = rest[3:]
	}
	if rest != "" {
		parts = append(parts, rest)
	}
	return strings.TrimSpace("+"+digits[:cc]+" "+strings.Join(parts, " ")) + " 0000"
}

// fillLast4 replaces the last four characters of format (blockFormat's
// four zeros) with the two digits of group (0..99; none when negative)
// followed by mask.
func fillLast4(format string, group int, mask string) string {
	b := make([]byte, 0, len(format))
	b = append(b, format[:len(format)-4]...)
	if group >= 0 {
		b = append(b, byte('0'+group/10), byte('0'+group%10))
	}
	return string(append(b, mask...))
}

// twoDigitCC are the two-digit country codes that start with 2, 3, 8 or 9
// (the others with those first digits have three).
var twoDigitCC = map[string]bool{"20": true, "27": true, "30": true, "31": true, "32": true, "33": true, "34": true, "36": true, "39": true,
	"81": true, "82": true, "84": true, "86": true, "90": true, "91": true, "92": true, "93": true, "94": true, "95": true, "98": true}

// BlockRegion returns the region (ISO 3166-1 alpha-2) whose numbering plan
// holds block (E.164 without its last four digits), or "" when no plan
// places it.
func BlockRegion(block string) string {
	num, err := phonenumbers.Parse(block+"0000", "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if r == "ZZ" {
		return ""
	}
	return r
}

// BlockInvalid reports whether no numbering plan allows the numbers of
// block (E.164 without its last four digits): what ingest marks
// Target.Invalid. A block a Hasher of this process has seen answers from
// its cache; any other is checked at three of its numbers (validity does
// not depend on the last four digits from eight national digits on, and
// a short plan's block is invalid only when none of the three is valid)
// and remembered, so detection pays libphonenumber's cost once per block.
func BlockInvalid(block string) bool {
	if b, ok := sharedBlock(block); ok {
		return b.invalid
	}
	if v, ok := invalidBlocks.Load(block); ok {
		return v.(bool)
	}
	invalid := true
	for _, tail := range []string{"0000", "4821", "9999"} {
		num, err := phonenumbers.Parse(block+tail, "")
		if err != nil {
			// Not a number at all (an e-mail block, a malformed key):
			// nothing to say about numbering plans.
			invalid = false
			break
		}
		if phonenumbers.IsValidNumber(num) {
			invalid = false
			break
		}
	}
	invalidBlocks.Store(block, invalid)
	return invalid
}

// invalidBlocks caches BlockInvalid's answers for blocks no Hasher saw.
var invalidBlocks sync.Map
