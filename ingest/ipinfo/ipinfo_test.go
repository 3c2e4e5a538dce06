package ipinfo

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/lockstep-dev/lockstep/ingest/ipinfo/ipinfotest"
)

func TestLookup(t *testing.T) {
	full := ipinfotest.WriteDB(t, map[string]mmdbtype.Map{
		"203.0.113.0/24": {
			"country":                        mmdbtype.Map{"iso_code": mmdbtype.String("IR")},
			"autonomous_system_number":       mmdbtype.Uint32(64500),
			"autonomous_system_organization": mmdbtype.String("Example Hosting"),
			"lockstep_kind":                  mmdbtype.String("datacenter"),
		},
		"2001:db8::/32": {
			"country":       mmdbtype.Map{"iso_code": mmdbtype.String("de")},
			"lockstep_kind": mmdbtype.String("mobile"),
		},
	})
	asnOnly := ipinfotest.WriteDB(t, map[string]mmdbtype.Map{
		"2001:db8::/32": {
			"autonomous_system_number":       mmdbtype.Uint32(64501),
			"autonomous_system_organization": mmdbtype.String("Example Mobile"),
			"lockstep_kind":                  mmdbtype.String("residential"),
		},
	})
	db, err := Open(full, asnOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		addr string
		want Info
	}{
		{"203.0.113.7", Info{ASN: 64500, ASOrg: "Example Hosting", Country: "IR", Kind: "datacenter"}},
		// First database wins for kind and country, the second fills the AS.
		{"2001:db8::1", Info{ASN: 64501, ASOrg: "Example Mobile", Country: "DE", Kind: "mobile"}},
		{"198.51.100.1", Info{}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := db.Lookup(netip.MustParseAddr(tt.addr))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestLookupBadKind(t *testing.T) {
	path := ipinfotest.WriteDB(t, map[string]mmdbtype.Map{
		"192.0.2.0/24": {"lockstep_kind": mmdbtype.String("spaceship")},
	})
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Lookup(netip.MustParseAddr("192.0.2.1")); err == nil {
		t.Fatal("unknown lockstep_kind accepted")
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "nope.mmdb")); err == nil {
		t.Fatal("opening a missing file succeeded")
	}
}
