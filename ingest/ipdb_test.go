package ingest

import (
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/lockstep-dev/lockstep/ingest/ipinfo"
	"github.com/lockstep-dev/lockstep/ingest/ipinfo/ipinfotest"
)

// TestIPDatabase loads logins with --ip-db: the database fills what the
// record leaves empty, and a field the record gives wins.
func TestIPDatabase(t *testing.T) {
	dbPath := ipinfotest.WriteDB(t, map[string]mmdbtype.Map{"192.0.2.0/24": {
		"country":                        mmdbtype.Map{"iso_code": mmdbtype.String("IR")},
		"autonomous_system_number":       mmdbtype.Uint32(64500),
		"autonomous_system_organization": mmdbtype.String("DB Hosting"),
		"lockstep_kind":                  mmdbtype.String("datacenter"),
	}})
	db, err := ipinfo.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	s := prepared(t)
	ctx := testCtx(t)
	path := writeFile(t, "logins.ndjson",
		`{"kind":"login","account":"a1","time":1709290800,"ip":"192.0.2.1"}`+"\n"+
			`{"kind":"login","account":"a1","time":1709290800,"ip":"192.0.2.2","ip_kind":"vpn","ip_as_org":"Record Org"}`+"\n"+
			`{"kind":"login","account":"a1","time":1709290800,"ip":"198.51.100.1"}`+"\n")
	opts := testOptions(t)
	opts.IPDB = db
	if _, err := Run(ctx, s, []string{path}, opts); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"192.0.2.1":    "64500/DB Hosting/IR/datacenter",
		"192.0.2.2":    "64500/Record Org/IR/vpn",
		"198.51.100.1": "?/?/?/unknown",
	} {
		recs, err := s.Query(ctx, "MATCH (i:IP {addr: $addr}) RETURN coalesce(toString(i.asn), '?') + '/' + coalesce(i.asnOrg, '?') + '/' + coalesce(i.country, '?') + '/' + i.kind AS v", map[string]any{"addr": addr})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Values[0] != want {
			t.Errorf("%s: got %v, want %s", addr, recs, want)
		}
	}
}
