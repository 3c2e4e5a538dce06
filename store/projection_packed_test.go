package store

import (
	"encoding/binary"
	"testing"
)

// countingSink counts calls; the fuzz test only needs the decoder to
// either accept or reject, never to panic or loop.
type countingSink struct{ n int }

func (c *countingSink) Expect(ProjectionSize)                                 {}
func (c *countingSink) Account(int64, string, int64, string, bool)            { c.n++ }
func (c *countingSink) IP(int64, string, uint32, string, string, string)      { c.n++ }
func (c *countingSink) Device(int64, string)                                  { c.n++ }
func (c *countingSink) Target(int64, string, int64)                           { c.n++ }
func (c *countingSink) Edge(string, int64, int64, int64, int64, int64, int64) { c.n++ }
func (c *countingSink) Match(int64, int64)                                    { c.n++ }

// packedAccount encodes one account with one relationship of each kind
// the way Projection.java does (counts in a padded 4-byte uvarint).
func packedAccount() []byte {
	b := []byte{tagAccount}
	b = binary.AppendUvarint(b, 7)
	b = append(binary.AppendUvarint(b, 2), "a1"...)
	b = binary.AppendVarint(b, 1_700_000_000)
	b = append(binary.AppendUvarint(b, 2), "US"...)
	b = append(b, 0)
	for rel := range 3 {
		b = append(b, 0x81, 0x80, 0x80, 0x00) // one relationship
		b = binary.AppendUvarint(b, 9)
		b = binary.AppendVarint(b, 1_700_000_100)
		b = binary.AppendVarint(b, 60)
		b = binary.AppendUvarint(b, 3)
		if rel == 2 {
			b = binary.AppendUvarint(b, 1)
		}
	}
	return b
}

func TestPackedDecode(t *testing.T) {
	for _, tc := range []struct {
		name      string
		data      []byte
		calls     int
		wantError bool
	}{
		{"account with three relationships", packedAccount(), 4, false},
		{"two items", append(packedAccount(), tagMatch, 9, 7), 5, false},
		{"truncated", packedAccount()[:20], -1, true},
		{"unknown tag", []byte{99, 1}, 0, true},
		{"string longer than chunk", []byte{tagDevice, 1, 200, 'x'}, 0, true},
		{"empty", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &countingSink{}
			d := &packedDecoder{sink: sink, totals: map[string]int{}, done: map[string]int{}}
			err := d.decode(tc.data)
			if (err != nil) != tc.wantError {
				t.Fatalf("err = %v, want error %v", err, tc.wantError)
			}
			if tc.calls >= 0 && sink.n != tc.calls {
				t.Errorf("%d sink calls, want %d", sink.n, tc.calls)
			}
		})
	}
}

func FuzzPackedDecode(f *testing.F) {
	f.Add(packedAccount())
	f.Add([]byte{tagIP, 1, 3, '1', '.', '2', 0, 0, 0, 0})
	f.Add([]byte{tagTarget, 5, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &packedDecoder{sink: &countingSink{}, totals: map[string]int{}, done: map[string]int{}}
		_ = d.decode(data)
	})
}
