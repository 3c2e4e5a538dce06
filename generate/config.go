package generate

import (
	"cmp"
	"fmt"
	"time"
)

// Output formats of ToDir.
const (
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// Limits on Config.Accounts.
const (
	MinAccounts = 1000
	MaxAccounts = 1_000_000
)

// DefaultStart is the first instant of the observation window when
// Config.Start is zero.
var DefaultStart = time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)

// DefaultWatchASNs is the state watch list used when Config.WatchASNs is
// nil: private-use numbers, so no real network is implied.
var DefaultWatchASNs = []uint32{65001, 65002, 65003}

// Config describes a world. The zero value of every field but Accounts means
// its default; DefaultConfig spells them out.
type Config struct {
	// Accounts is the number of accounts, MinAccounts to MaxAccounts.
	Accounts int
	// Seed selects the world: the same Config gives byte-identical output.
	Seed uint64
	// Format is FormatNDJSON (default) or FormatCSV, for ToDir.
	Format string
	// Start is the first instant of the observation window (truncated to
	// the second); logins and lookups fall in [Start, Start+Days). Most
	// accounts were created before it.
	Start time.Time
	// Days is the window length, 30 to 366 (default 60).
	Days int
	// PlantedFraction is the share of accounts in planted networks
	// (default 0.03; negative means none). Every kind gets at least one
	// network of at least 10 members, so small worlds hold a little more.
	// Negative values stay negative, so a normalized Config can be passed
	// again.
	PlantedFraction float64
	// StateLinkedShare is the share of enumeration and multi-country
	// networks given a state flavour: hosting from WatchASNs and the working
	// hours of StateUTCOffsetMinutes. Default 0.3; negative means none.
	StateLinkedShare float64
	// WatchASNs is the watch list of hosting ASNs (default DefaultWatchASNs).
	WatchASNs []uint32
	// StateCountry is the country of the watch-listed ASNs (default "IR").
	StateCountry string
	// StateUTCOffsetMinutes is the time zone of state-flavoured operators
	// (default 210, UTC+3:30; zero means the default); they work
	// 08:00-17:00 local, not on Fridays.
	StateUTCOffsetMinutes int
	// Adversary adds the evasion families (AdversaryKinds): planted
	// networks built to dodge one detection signal each, on top of the
	// ordinary planted networks, which keep their kinds, number and sizes.
	Adversary bool
	// TempDir holds the day buckets while the world is sorted by time
	// (default: the output directory for ToDir, os.TempDir otherwise).
	TempDir string
	// Progress, when set, is called from the generating goroutine as work
	// advances: stage "build" (accounts, households, number plans) once,
	// stage "generate" counts accounts whose events are made, stage
	// "write" counts window days written.
	Progress func(stage string, done, total int)
}

// Progress stages.
const (
	StageBuild    = "build"
	StageGenerate = "generate"
	StageWrite    = "write"
)

func (c *Config) progress(stage string, done, total int) {
	if c.Progress != nil {
		c.Progress(stage, done, total)
	}
}

// DefaultConfig returns a Config with every default spelled out.
func DefaultConfig(accounts int, seed uint64) Config {
	c := Config{Accounts: accounts, Seed: seed}
	c.normalize()
	return c
}

func (c *Config) normalize() {
	c.Format = cmp.Or(c.Format, FormatNDJSON)
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	c.Days = cmp.Or(c.Days, 60)
	c.PlantedFraction = cmp.Or(c.PlantedFraction, 0.03)
	c.StateLinkedShare = cmp.Or(c.StateLinkedShare, 0.3)
	if c.WatchASNs == nil {
		c.WatchASNs = DefaultWatchASNs
	}
	c.StateCountry = cmp.Or(c.StateCountry, "IR")
	c.StateUTCOffsetMinutes = cmp.Or(c.StateUTCOffsetMinutes, 210)
}

func (c *Config) validate() error {
	switch {
	case c.Accounts < MinAccounts || c.Accounts > MaxAccounts:
		return fmt.Errorf("generate: accounts %d out of range %d..%d", c.Accounts, MinAccounts, MaxAccounts)
	case c.Format != FormatNDJSON && c.Format != FormatCSV:
		return fmt.Errorf("generate: format %q is neither %q nor %q", c.Format, FormatNDJSON, FormatCSV)
	case c.Days < 30 || c.Days > 366:
		return fmt.Errorf("generate: days %d out of range 30..366", c.Days)
	case c.PlantedFraction > 0.2:
		return fmt.Errorf("generate: planted fraction %g above 0.2", c.PlantedFraction)
	case c.StateLinkedShare > 1:
		return fmt.Errorf("generate: state-linked share %g above 1", c.StateLinkedShare)
	case c.StateLinkedShare > 0 && len(c.WatchASNs) == 0:
		return fmt.Errorf("generate: state-linked networks need at least one watch-list ASN")
	case c.StateUTCOffsetMinutes < -720 || c.StateUTCOffsetMinutes > 840:
		return fmt.Errorf("generate: state UTC offset %d minutes out of range", c.StateUTCOffsetMinutes)
	}
	return nil
}
