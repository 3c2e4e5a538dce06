package target

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"call +1 (415) 555-0101 now", "call [11 digits] now"},
		{"14155550101", "[11 digits]"},
		{"+44 20 7946 0958", "[12 digits]"},
		{"id x+14155550101y", "id x[11 digits]y"}, // a leading + is always a number
		{"415.555.0101.", "[10 digits]."},
		{"tel:+1 415 555 2323;ext=1", "tel:[11 digits];ext=1"},
		{"192.0.2.300", "[8 digits]"},
		{"10.1.1.1%eth0", "10.1.1.1%eth0"},
		{"2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z"},
		{"2024-03-01-4155552323", "2024-03-01-[10 digits]"},
		{"bob@example.org", "[e-mail]"},
		{"mailto:bob.smith+x@mail.example.org now", "mailto:[e-mail] now"},
		{"123456@x.org", "[e-mail]"},
		{"first must be between 1 and 100, got 1000", "first must be between 1 and 100, got 1000"},
		{"at 12:30, 3 of 250", "at 12:30, 3 of 250"},
		{"AS123456", "AS123456"},
		// Digits inside ids and key names are not phone numbers.
		{"a14155552323", "a14155552323"},
		{"review rev_0187c3f1a2b4d5e6ab12cd34 saved", "review rev_0187c3f1a2b4d5e6ab12cd34 saved"},
		{"rate limit exceeded for key ops-20260107-1234567", "rate limit exceeded for key ops-20260107-1234567"},
		{"run run_18a2b3c4d5e6f7081234567", "run run_18a2b3c4d5e6f7081234567"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := Quote(strings.Repeat("x", 100)), `"`+strings.Repeat("x", 61)+`..."`; got != want {
		t.Errorf("Quote of 100 bytes = %s, want %s", got, want)
	}
}

func TestShapes(t *testing.T) {
	for _, tt := range []struct {
		in     string
		digits int
		email  bool
	}{
		{"+14155552323", 11, false},
		{"(415) 555-2323", 10, false},
		{"415.555.2323", 10, false},
		{"a0000001", 0, false},
		{"123456", 0, false},
		{"1234567890123456", 0, false}, // 16 digits: longer than E.164
		{"bob@example.org", 0, true},
		{"bob@localhost", 0, false},
		{"@example.org", 0, false},
		{"bob@example.", 0, false},
	} {
		if d, e := PhoneDigits(tt.in), LooksLikeEmail(tt.in); d != tt.digits || e != tt.email {
			t.Errorf("%q: PhoneDigits %d LooksLikeEmail %v, want %d %v", tt.in, d, e, tt.digits, tt.email)
		}
	}
}

// FuzzRedact: a number in E.164 form never survives, whatever surrounds
// it, and an e-mail address standing alone never does either; Redact is
// idempotent, so a redacted message holds nothing left to redact.
func FuzzRedact(f *testing.F) {
	f.Add("x ", " y")
	f.Add("key_", "_9")
	f.Add("(", ")-0101")
	f.Add("2024-03-01-", "")
	f.Fuzz(func(t *testing.T, before, after string) {
		const n, mail = "+14155550101", "bob.smith@example.org"
		if strings.Contains(before+after, "4155550101") || strings.Contains(before+after, "example.org") {
			return
		}
		if out := Redact(before + n + after); strings.Contains(out, "4155550101") {
			t.Fatalf("Redact(%q) = %q keeps the number", before+n+after, out)
		}
		in := before + " " + mail + " " + after
		out := Redact(in)
		if strings.Contains(out, mail) {
			t.Fatalf("Redact(%q) = %q keeps the address", in, out)
		}
		if again := Redact(out); again != out {
			t.Fatalf("Redact(%q) = %q, and again %q", in, out, again)
		}
	})
}
