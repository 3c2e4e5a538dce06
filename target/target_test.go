package target

import (
	"errors"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var testKey = []byte("test-key-0123456789abcdef")

func TestNormalise(t *testing.T) {
	tests := []struct {
		name, raw, kind, region string
		want                    Target // Key checked separately
	}{
		{"us e164", "+14155552323", "phone", "", Target{Masked: "+1 415-555-23xx", Kind: Phone, Region: "US", Block: "+1415555", Offset: 2323}},
		{"us national with region", "(415) 555-2323", "phone", "US", Target{Masked: "+1 415-555-23xx", Kind: Phone, Region: "US", Block: "+1415555", Offset: 2323}},
		{"region lower case", "415 555 2323", "", "us", Target{Masked: "+1 415-555-23xx", Kind: Phone, Region: "US", Block: "+1415555", Offset: 2323}},
		{"uk london", "+44 20 7946 0958", "phone", "", Target{Masked: "+44 20 7946 09xx", Kind: Phone, Region: "GB", Block: "+44207946", Offset: 958}},
		{"german national", "030 12345678", "phone", "DE", Target{Masked: "+49 301 234 56xx", Kind: Phone, Region: "DE", Block: "+49301234", Offset: 5678}},
		{"email", "  John.Doe@Example.COM ", "email", "", Target{Masked: "j***@example.com", Kind: Email, Block: "example.com", Offset: -1}},
		{"email inferred", "a@b.co", "", "", Target{Masked: "a***@b.co", Kind: Email, Block: "b.co", Offset: -1}},
	}
	h := NewHasher(testKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Normalise(tt.raw, tt.kind, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			key := got.Key
			got.Key = ""
			if got != tt.want {
				t.Errorf("Normalise = %+v, want %+v", got, tt.want)
			}
			if len(key) != 64 {
				t.Errorf("key %q is not 64 hex digits", key)
			}
		})
	}
}

func TestNormaliseSameNumberSameKey(t *testing.T) {
	h := NewHasher(testKey)
	a, err := h.Normalise("+1 415-555-2323", "phone", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Normalise("4155552323", "phone", "US")
	if err != nil {
		t.Fatal(err)
	}
	if a.Key != b.Key {
		t.Errorf("two spellings of one number hash differently: %s vs %s", a.Key, b.Key)
	}
	other, _ := NewHasher([]byte("another-key-0123456789")).Normalise("+14155552323", "phone", "")
	if other.Key == a.Key {
		t.Error("the key does not change the hash")
	}
	e1, _ := h.Normalise("X@Y.org", "email", "")
	e2, _ := h.Normalise("x@y.org", "email", "")
	if e1.Key != e2.Key {
		t.Error("e-mail case changes the hash")
	}
}

func TestNormaliseRejects(t *testing.T) {
	tests := []struct{ name, raw, kind, region string }{
		{"empty", "", "phone", ""},
		{"letters", "call me", "phone", ""},
		{"national without region", "4155552323", "phone", ""},
		{"too short", "+1415", "phone", ""},
		{"unknown calling code", "+999 555 2323 11", "phone", ""},
		{"national number too short", "+44 12", "phone", ""},
		{"too long", "+1" + strings.Repeat("5", 70), "phone", ""},
		{"bad region", "4155552323", "phone", "XX"},
		{"email no at", "john.example.com", "email", ""},
		{"email no domain dot", "john@localhost", "email", ""},
		{"email space", "jo hn@example.com", "email", ""},
		{"email double dot", "jo..hn@example.com", "email", ""},
		{"unknown kind", "+14155552323", "fax", ""},
	}
	h := NewHasher(testKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Normalise(tt.raw, tt.kind, tt.region)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if digits := strings.Map(keepDigit, tt.raw); len(digits) >= 4 && strings.Contains(strings.Map(keepDigit, err.Error()), digits) {
				t.Errorf("error %q leaks the raw number", err)
			}
		})
	}
}

// TestNormaliseKeepsInvalidNumbers: a well-formed number that no plan
// allows (US area codes never start with 0) is a target marked invalid,
// hashed, blocked and masked like any other, the same whether
// libphonenumber or the block cache answers; valid numbers are not marked.
func TestNormaliseKeepsInvalidNumbers(t *testing.T) {
	h := NewHasher(testKey)
	for i, raw := range []string{"+1 099 555 2323", "+10995552323", "+10995552323"} {
		got, err := h.Normalise(raw, "phone", "")
		if err != nil {
			t.Fatalf("%d: rejected: %v", i, err)
		}
		if !got.Invalid || got.Key != h.Key("+10995552323") || got.Block != "+1099555" || got.Offset != 2323 || got.Region != "US" {
			t.Errorf("%d: got %+v, want an invalid US target in block +1099555 at 2323", i, got)
		}
		if got.Masked != GroupLabel(got.Block, got.Offset) || strings.Contains(strings.Map(keepDigit, got.Masked), "2323") {
			t.Errorf("%d: masked %q, want the group label and no full number", i, got.Masked)
		}
	}
	if other, err := h.Normalise("+10995550001", "phone", ""); err != nil || !other.Invalid {
		t.Errorf("a cached invalid block: %+v, %v", other, err)
	}
	if valid, err := h.Normalise("+14155552323", "phone", ""); err != nil || valid.Invalid {
		t.Errorf("a valid number: %+v, %v", valid, err)
	}
}

func keepDigit(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// FuzzNormalise checks that any input either fails with ErrInvalid or gives
// a well-formed target, and that neither the error nor the masked form
// carries the raw value.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"+14155552323", "(415) 555-2323", "+44 7911 123456", "a@b.co", "", "+", "@", "+1 099 555 2323", "030 12345678"} {
		f.Add(s, "", "US")
		f.Add(s, "phone", "")
	}
	h := NewHasher(testKey)
	f.Fuzz(func(t *testing.T, raw, kind, region string) {
		got, err := h.Normalise(raw, kind, region)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if len(raw) >= 8 && strings.Contains(err.Error(), raw) {
				t.Fatalf("error %q leaks the raw value", err)
			}
			return
		}
		if len(got.Key) != 64 {
			t.Fatalf("bad key %q", got.Key)
		}
		switch got.Kind {
		case Phone:
			if got.Offset < 0 || got.Offset > 9999 || !strings.HasPrefix(got.Block, "+") {
				t.Fatalf("bad block/offset %+v", got)
			}
			again, err := h.Normalise(got.Block+pad4(got.Offset), "phone", "")
			if err != nil || again.Key != got.Key {
				t.Fatalf("block+offset does not give back the number: %v", err)
			}
			// The masked form names the number's group of 100 and no
			// more: the label of block and offset/100, ending in "xx".
			if want := GroupLabel(got.Block, got.Offset); got.Masked != want || !strings.HasSuffix(want, "xx") {
				t.Fatalf("masked form %q, want the group label %q", got.Masked, want)
			}
		case Email:
			if got.Offset != -1 || !strings.HasSuffix(got.Masked, "@"+got.Block) {
				t.Fatalf("bad e-mail target %+v", got)
			}
		default:
			t.Fatalf("kind %q", got.Kind)
		}
	})
}

func pad4(n int) string {
	s := "000" + string(rune('0'+n/1000)) + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
	return s[3:]
}

func BenchmarkNormalisePhone(b *testing.B) {
	h := NewHasher(testKey)
	for i := 0; b.Loop(); i++ {
		if _, err := h.Normalise("+1415555"+pad4(i%10000), "phone", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidityIgnoresLastFourDigits checks the assumption behind the block
// cache: if one number of a block is valid, so are the others of the same
// length. It tries example numbers of every region and number type with
// sampled endings.
func TestValidityIgnoresLastFourDigits(t *testing.T) {
	var exceptions int
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE} {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			e164 := phonenumbers.Format(ex, phonenumbers.E164)
			if len(phonenumbers.GetNationalSignificantNumber(ex)) < minNSNCached {
				continue // never cached
			}
			for end := 0; end < 10000; end += 97 {
				n, err := phonenumbers.Parse(e164[:len(e164)-4]+pad4(end), "ZZ")
				if err != nil || !phonenumbers.IsValidNumber(n) {
					exceptions++
					t.Logf("%s %v: %s****: ending %04d invalid", region, typ, e164[:len(e164)-4], end)
					break
				}
			}
		}
	}
	if exceptions > 0 {
		t.Errorf("%d blocks where validity depends on the last four digits", exceptions)
	}
}

// TestGroupLabel: a group's label is its block's label with the two
// digits of offset/100 in place of the first two x, for every offset of
// the group; out-of-block offsets fall back to the block label.
func TestGroupLabel(t *testing.T) {
	for _, c := range []struct {
		block  string
		offset int
		want   string
	}{
		{"+1415555", 0, "+1 415-555-00xx"},
		{"+1415555", 123, "+1 415-555-01xx"},
		{"+1415555", 199, "+1 415-555-01xx"},
		{"+1415555", 9999, "+1 415-555-99xx"},
		{"+44207946", 958, "+44 20 7946 09xx"},
		{"+989121", 4321, "+98 912 1 43xx"},
		{"+1415555", -1, "+1 415-555-xxxx"},
		{"example.com", -1, "example.com"},
	} {
		if got := GroupLabel(c.block, c.offset); got != c.want {
			t.Errorf("GroupLabel(%q, %d) = %q, want %q", c.block, c.offset, got, c.want)
		}
	}
}

func TestBlockLabel(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+1415555", "+1 415-555-xxxx"},
		{"+44207946", "+44 20 7946 xxxx"},
		{"+49301234", "+49 301 234 xxxx"},
		{"+989121", "+98 912 1 xxxx"},
		{"+35387123", "+353 87 123 xxxx"},
		{"example.com", "example.com"},
	} {
		if got := BlockLabel(c.in); got != c.want {
			t.Errorf("BlockLabel(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestBlockInvalid: a block of an allocated mobile range is valid, one of
// an unallocated range of a real calling code is not, whether or not a
// Hasher has seen it.
func TestBlockInvalid(t *testing.T) {
	for _, c := range []struct {
		block string
		want  bool
	}{
		{"+1415555", false},  // US, San Francisco
		{"+44791112", false}, // UK mobile
		{"+1099555", true},   // NANP area codes never start with 0
		{"+4400000", true},
		{"not a block", false},
	} {
		if got := BlockInvalid(c.block); got != c.want {
			t.Errorf("BlockInvalid(%q) = %v, want %v", c.block, got, c.want)
		}
	}
	h := NewHasher([]byte("k"))
	tg, err := h.Normalise("+10995551234", Phone, "")
	if err != nil {
		t.Fatal(err)
	}
	if !tg.Invalid || !BlockInvalid(tg.Block) {
		t.Errorf("ingest and detection disagree on %s: Target.Invalid %v, BlockInvalid %v", tg.Block, tg.Invalid, BlockInvalid(tg.Block))
	}
}
