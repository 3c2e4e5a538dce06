package generate

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// blockSize is how many consecutive numbers one number block holds: the last
// four digits of a national number. Sweeps are laid out in whole thousands
// inside these blocks, so any block definition of 10,000 numbers or fewer
// (the last three or four digits) sees a sweep as full coverage.
const blockSize = 10000

// country describes one country of the synthetic world: where its accounts
// live, its time zone, and its mobile number plan. Numbers are built as
// prefix + middle digits + four block digits; prefixes are real mobile
// ranges (checked against libphonenumber's metadata through
// github.com/nyaruka/phonenumbers when the world is built, and every emitted
// number again in the tests).
type country struct {
	code      string   // ISO 3166-1 alpha-2, also the lookup's region
	cc        string   // calling code digits
	nsnLen    int      // national significant number length
	prefixes  []string // leading national digits of mobile ranges
	midStart  int      // first usable middle value (US exchanges start at 200)
	weight    float64  // share of organic accounts
	utcOffset int      // minutes east of UTC, for diurnal activity
}

// countries is fixed: its order is part of the deterministic output.
var countries = []country{
	{"US", "1", 10, []string{"415", "212", "310", "646", "312", "713", "206", "305", "404", "617", "702", "512", "303", "215", "602", "614", "919", "503", "801", "816", "213", "323", "408", "510", "650", "718", "917", "347", "202", "469", "214", "720", "971", "786", "954", "480"}, 200, 0.28, -300},
	{"IN", "91", 10, []string{"98", "99", "97", "96", "70", "81", "89", "94"}, 0, 0.18, 330},
	{"BR", "55", 11, []string{"119", "219", "319", "419", "519", "619", "719", "819"}, 0, 0.12, -180},
	{"GB", "44", 10, []string{"740", "741", "742", "743", "744", "745", "746", "747", "748", "749", "750", "751", "752", "753", "754", "755", "780", "781", "782", "783"}, 0, 0.07, 0},
	{"DE", "49", 11, []string{"151", "152", "157", "159", "160", "170", "171", "172", "173", "174", "175", "176", "177", "178", "179"}, 0, 0.07, 60},
	{"RU", "7", 10, []string{"916", "926", "903", "905", "915", "925", "985", "999"}, 0, 0.07, 180},
	{"NG", "234", 10, []string{"803", "806", "813", "703", "706", "810", "816", "903"}, 0, 0.08, 60},
	{"IR", "98", 10, []string{"912", "935", "901", "919", "910", "936", "937", "938"}, 0, 0.05, 210},
	{"MY", "60", 9, []string{"12", "13", "17", "19", "16", "14"}, 0, 0.04, 480},
	{"IL", "972", 9, []string{"50", "52", "53", "54", "58"}, 200, 0.04, 120},
}

// countryIndex returns the index of an ISO code in countries, or -1.
func countryIndex(code string) int {
	for i, c := range countries {
		if c.code == code {
			return i
		}
	}
	return -1
}

// phoneSpace is one country's numbers: nb blocks of 10,000 numbers, indexed
// 0..size-1, and a keyed permutation that places account r (its rank among
// the country's accounts by creation time) at number perm.fwd(r). Accounts
// fill about 1% of the space, so a sweep hits about 1% of what it walks,
// close to the 0.85% of the 2019 incident.
type phoneSpace struct {
	country int
	blocks  []string // national digits before the last four, one per block
	size    uint64   // numbers in the account blocks (the first ones)
	full    uint64   // numbers in all blocks, account and outside ones
	perm    perm
}

// newPhoneSpace picks nb valid blocks for country ci, where accounts live
// and sweeps walk, and then outside more blocks holding only people who are
// not on the platform: the unmatched contacts of organic address books come
// from there, as real address books hold real numbers all over the national
// plan rather than inside the blocks an attacker happens to sweep. Candidate blocks walk
// the prefixes in turn with a stride over the middle digits (so a world's
// blocks are scattered rather than one run), and a block is kept only when
// its first, middle and last numbers are valid mobile or fixed numbers of
// that very region (libphonenumber's metadata has holes, such as Israeli
// 50-1xx and Guernsey inside +44 79).
func newPhoneSpace(ci, nb, outside int, key uint64) (*phoneSpace, error) {
	c := countries[ci]
	ps := &phoneSpace{country: ci}
	P := len(c.prefixes)
	md := c.nsnLen - 4 - len(c.prefixes[0])
	span := pow10(md) - c.midStart
	for j := 0; len(ps.blocks) < nb+outside; j++ {
		if j >= P*span {
			return nil, fmt.Errorf("generate: country %s: only %d valid number blocks, need %d", c.code, len(ps.blocks), nb+outside)
		}
		p := c.prefixes[j%P]
		m := c.midStart + ((j/P)*7919)%span
		mid := strconv.Itoa(m)
		for len(mid) < md {
			mid = "0" + mid
		}
		blk := p + mid
		// Outside blocks are only checked at one number: they are many,
		// libphonenumber is slow, and the tests check every number emitted.
		if validBlock(c, blk, len(ps.blocks) >= nb) {
			ps.blocks = append(ps.blocks, blk)
		}
	}
	ps.size = uint64(nb) * blockSize
	ps.full = uint64(len(ps.blocks)) * blockSize
	ps.perm = newPerm(ps.size, key)
	return ps, nil
}

func validBlock(c country, blk string, quick bool) bool {
	tails := []string{"0000", "4821", "9999"}
	if quick {
		tails = tails[1:2]
	}
	for _, tail := range tails {
		n, err := phonenumbers.Parse("+"+c.cc+blk+tail, "")
		if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.GetRegionCodeForNumber(n) != c.code {
			return false
		}
	}
	return true
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// appendNumber appends number k of the space in E.164 form.
func (ps *phoneSpace) appendNumber(b []byte, k uint64) []byte {
	c := &countries[ps.country]
	b = append(b, '+')
	b = append(b, c.cc...)
	b = append(b, ps.blocks[k/blockSize]...)
	s := k % blockSize
	return append(b, byte('0'+s/1000), byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
}

// number returns number k in E.164 form.
func (ps *phoneSpace) number(k uint64) string { return string(ps.appendNumber(nil, k)) }

// perm is a keyed permutation of [0, n): a four-round Feistel network on
// the smallest even bit width covering n, with cycle walking. It spreads
// the accounts of a country over its number space without a table, and its
// inverse tells whether a swept number belongs to an account.
type perm struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPerm(n, key uint64) perm {
	w := uint(bits.Len64(n - 1))
	if w < 2 {
		w = 2
	}
	half := (w + 1) / 2
	p := perm{n: n, half: half, mask: 1<<half - 1}
	for i := range p.keys {
		key = mix64(key + 0x9e3779b97f4a7c15)
		p.keys[i] = key
	}
	return p
}

func (p perm) fwd(x uint64) uint64 {
	for {
		l, r := x>>p.half, x&p.mask
		for i := range 4 {
			l, r = r, l^(mix64(r^p.keys[i])&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

func (p perm) inv(x uint64) uint64 {
	for {
		l, r := x>>p.half, x&p.mask
		for i := 3; i >= 0; i-- {
			l, r = r^(mix64(l^p.keys[i])&p.mask), l
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

// mix64 is the SplitMix64 finalizer: a bijection on uint64 with good
// avalanche, used for ids that must look random yet stay unique.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
