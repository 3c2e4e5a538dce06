package generate

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
)

// IP kinds used by the generator (a subset of events.IPKinds).
const (
	kindResidential = "residential"
	kindMobile      = "mobile"
	kindDatacenter  = "datacenter"
	kindVPN         = "vpn"
	kindCampus      = "campus"
)

// asnInfo is one autonomous system of the synthetic Internet. Addresses are
// synthetic: every AS owns a /12 of IPv4 space starting at 11.0.0.0 (and a
// 2001:db8::/32 documentation-prefix slice for IPv6 households); they mean
// nothing outside the world.
type asnInfo struct {
	asn     uint32
	org     string
	country string
	kind    string
	base    uint32 // first IPv4 address
	next    uint32 // next free offset for addresses handed out one by one
	watched bool   // on the state watch list
}

// extraCountries host residential proxies and VPN exits of multi-country
// rings besides the ten countries with accounts.
var extraCountries = []string{"FR", "NL", "TR", "UA", "PK", "ID", "VN", "MX", "CA", "ES"}

// Offsets inside an AS: households and pools are numbered from 1, addresses
// handed out one by one to planted accounts from dedicatedBase, so the two
// never collide.
const dedicatedBase = 1 << 19

// ip ids pack the AS index and the offset; bit 63 marks an IPv6 household.
const ipV6Flag = 1 << 63

func ipID(asnIdx int, off uint32) uint64 { return uint64(asnIdx)<<32 | uint64(off) }

type infra struct {
	asns        []asnInfo
	residential [][2]int // per country index: two residential ASes
	mobile      [][2]int // per country index: two carriers
	extraRes    []int    // one residential AS per extra country
	vpn         []int
	datacenter  []int // commercial hosting
	watched     []int // hosting on the state watch list
	campus      int
}

func newInfra(watch []uint32, watchCountry string) (*infra, error) {
	in := &infra{}
	reserved := map[uint32]bool{}
	for _, a := range watch {
		if reserved[a] {
			return nil, fmt.Errorf("generate: watch-list ASN %d given twice", a)
		}
		reserved[a] = true
	}
	nextASN := uint32(64512) // private-use ASNs (RFC 6996)
	add := func(org, country, kind string) int {
		for reserved[nextASN] {
			nextASN++
		}
		reserved[nextASN] = true
		i := len(in.asns)
		in.asns = append(in.asns, asnInfo{asn: nextASN, org: org, country: country, kind: kind, base: 11<<24 + uint32(i)<<20, next: dedicatedBase})
		nextASN++
		return i
	}
	for _, c := range countries {
		in.residential = append(in.residential, [2]int{
			add(c.code+" Home Broadband", c.code, kindResidential),
			add(c.code+" Cable and Fibre", c.code, kindResidential),
		})
		in.mobile = append(in.mobile, [2]int{
			add(c.code+" Mobile One", c.code, kindMobile),
			add(c.code+" Cellular Networks", c.code, kindMobile),
		})
	}
	for _, cc := range extraCountries {
		in.extraRes = append(in.extraRes, add(cc+" Residential ISP", cc, kindResidential))
	}
	in.vpn = []int{
		add("Privacy Tunnel AB", "SE", kindVPN),
		add("Exitnode BV", "NL", kindVPN),
		add("Alpine Secure AG", "CH", kindVPN),
	}
	for _, h := range []struct{ org, cc string }{
		{"Nimbus Hosting", "US"}, {"Bluehaven Cloud", "NL"}, {"Vektor Servers", "DE"},
		{"Portside Datacenters", "SG"}, {"Kestrel Compute", "RU"}, {"Orbital Hosting", "FR"},
	} {
		in.datacenter = append(in.datacenter, add(h.org, h.cc, kindDatacenter))
	}
	in.campus = add("State University Network", "US", kindCampus)
	for n, a := range watch {
		i := len(in.asns)
		in.asns = append(in.asns, asnInfo{asn: a, org: fmt.Sprintf("Watched Hosting %d", n+1), country: watchCountry, kind: kindDatacenter,
			base: 11<<24 + uint32(i)<<20, next: dedicatedBase, watched: true})
		in.watched = append(in.watched, i)
	}
	if len(in.asns) > 128 {
		return nil, fmt.Errorf("generate: %d ASes do not fit the synthetic address plan (128 at most)", len(in.asns))
	}
	return in, nil
}

// dedicated hands out one new address of AS a, never used by anyone else.
// An AS has 2^19 such addresses, far more than a 1,000,000-account world
// hands out (about 40,000 in all); running out is a generator bug.
func (in *infra) dedicated(a int) uint64 {
	off := in.asns[a].next
	if off >= 1<<20 {
		panic(fmt.Sprintf("generate: AS %d ran out of dedicated addresses", in.asns[a].asn))
	}
	in.asns[a].next++
	return ipID(a, off)
}

// appendIP appends the textual address of an ip id.
func (in *infra) appendIP(b []byte, id uint64) []byte {
	a := int(id >> 32 & 0x7fffffff)
	off := uint32(id)
	if id&ipV6Flag != 0 {
		var v [16]byte
		binary.BigEndian.PutUint32(v[0:], 0x20010db8)
		binary.BigEndian.PutUint16(v[4:], uint16(a))
		binary.BigEndian.PutUint32(v[6:], off)
		v[15] = 1
		return netip.AddrFrom16(v).AppendTo(b)
	}
	return netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, in.asns[a].base+off))).AppendTo(b)
}

func (in *infra) ipString(id uint64) string { return string(in.appendIP(nil, id)) }

func (in *infra) asnOf(id uint64) *asnInfo { return &in.asns[int(id>>32&0x7fffffff)] }

// Device numbers: own devices are 2*account (+1 for a second device);
// family devices and devices of planted rings live above the account range.
const (
	familyDeviceBase = 1 << 23
	ringDeviceBase   = 1 << 24
)

// deviceID turns a device number into its public id: 16 hex digits of a
// keyed bijection, so ids are unique and reveal nothing about accounts.
func deviceID(key uint64, num uint32) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], mix64(uint64(num)^key))
	return "d" + hex.EncodeToString(b[:])
}

func appendDeviceID(dst []byte, key uint64, num uint32) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], mix64(uint64(num)^key))
	dst = append(dst, 'd')
	return hex.AppendEncode(dst, b[:])
}

var (
	clientVersions = []string{"9.4.1", "9.3.0", "9.2.7", "9.1.2", "8.12.0"}
	ringClient     = "7.9.3" // planted rings run one old build everywhere
)

// deviceOS returns os and client of a device, derived from its number.
func deviceOS(key uint64, num uint32) (os, client string) {
	h := mix64(uint64(num) ^ key ^ 0x5bd1e995)
	if num >= ringDeviceBase {
		return "android", "android " + ringClient
	}
	switch {
	case h%100 < 55:
		os = "android"
	case h%100 < 90:
		os = "ios"
	default:
		os = "web"
	}
	return os, os + " " + clientVersions[(h>>8)%uint64(len(clientVersions))]
}

// sortedIPStrings formats and sorts ip ids for truth.json.
func (in *infra) sortedIPStrings(ids []uint64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, in.ipString(id))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
