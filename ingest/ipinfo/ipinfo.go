// Package ipinfo reads what is known of an IP address (country, autonomous
// system, kind) from offline MaxMind-format databases (.mmdb).
//
// The record layout is GeoIP2/GeoLite2's where one exists, so GeoLite2-Country
// and GeoLite2-ASN files work as they are, plus one Lockstep field:
//
//	{
//	  "country": {"iso_code": "US"},                 // GeoIP2/GeoLite2 Country, City
//	  "autonomous_system_number": 15169,             // GeoLite2 ASN
//	  "autonomous_system_organization": "GOOGLE",    // GeoLite2 ASN
//	  "lockstep_kind": "datacenter"                  // one of events.IPKinds
//	}
//
// Several databases may be given; for each field the first database that
// has it wins.
package ipinfo

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/lockstep-dev/lockstep/events"
)

// Info is what a database knows of one address. Zero values mean unknown.
type Info struct {
	ASN     uint32
	ASOrg   string
	Country string // ISO 3166 alpha-2, upper case
	Kind    string // one of events.IPKinds
}

// record is the decoded layout described in the package comment.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	ASN   uint32 `maxminddb:"autonomous_system_number"`
	ASOrg string `maxminddb:"autonomous_system_organization"`
	Kind  string `maxminddb:"lockstep_kind"`
}

// DB is a set of opened databases. It is safe for concurrent use.
type DB struct {
	readers []*maxminddb.Reader
	paths   []string
}

// Open opens the .mmdb files at paths (memory-mapped).
func Open(paths ...string) (*DB, error) {
	db := &DB{}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("ipinfo: open %s: %w", p, err)
		}
		db.readers = append(db.readers, r)
		db.paths = append(db.paths, p)
	}
	return db, nil
}

// Close releases the databases.
func (db *DB) Close() error {
	var errs []error
	for _, r := range db.readers {
		errs = append(errs, r.Close())
	}
	db.readers = nil
	return errors.Join(errs...)
}

// Lookup returns what the databases know of addr. An address no database
// covers gives a zero Info and no error; a corrupt database gives an error
// naming its file. A kind outside events.IPKinds is reported as an error
// rather than stored.
func (db *DB) Lookup(addr netip.Addr) (Info, error) {
	var info Info
	for i, r := range db.readers {
		var rec record
		if err := r.Lookup(addr).Decode(&rec); err != nil {
			return Info{}, fmt.Errorf("ipinfo: %s: lookup %s: %w", db.paths[i], addr, err)
		}
		if info.ASN == 0 {
			info.ASN = rec.ASN
		}
		if info.ASOrg == "" {
			info.ASOrg = rec.ASOrg
		}
		if info.Country == "" {
			info.Country = strings.ToUpper(rec.Country.ISOCode)
		}
		if info.Kind == "" && rec.Kind != "" {
			if !slices.Contains(events.IPKinds, rec.Kind) {
				return Info{}, fmt.Errorf("ipinfo: %s: %s: lockstep_kind %q is not one of %v", db.paths[i], addr, rec.Kind, events.IPKinds)
			}
			info.Kind = rec.Kind
		}
	}
	return info, nil
}
