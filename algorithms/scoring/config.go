// Package scoring rates each community of the similarity graph as a
// possible coordinated network: it measures signals (shared
// infrastructure, lookup volume and velocity, sweeps of number blocks,
// hit ratio, blocks covered together, account age, datacenter share, country spread, working
// hours, FRAUDAR dense blocks, proximity to confirmed accounts), combines
// them into a score in [0,1] with each signal's contribution, gives each
// member a role and a score, and writes evidence an analyst can read.
//
// "Possibly state-linked" is a separate indicator with reasons and a
// confidence, never a verdict; its watch lists (ASNs, countries, time
// zones) come from Config, not code, and without them it rests on
// behaviour alone, with a lower confidence; each reason names its source.
// A flagged network that does not fire as a whole is split into the rings
// it merged (rings.go), and the indicator may rest on one of them.
package scoring

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/lockstep-dev/lockstep/signals"
)

// Signal names (package signals holds the list), in the order networks
// report them.
const (
	SigSweep       = signals.Sweep
	SigShared      = signals.SharedBlock
	SigLockstep    = signals.Lockstep
	SigDenseBlock  = signals.DenseBlock
	SigDatacenter  = signals.Datacenter
	SigNewAccounts = signals.NewAccounts
	SigHitRatio    = signals.HitRatio
	SigVolume      = signals.Volume
	SigVelocity    = signals.Velocity
	SigInfra       = signals.SharedInfra
	SigCountries   = signals.Countries
	SigWorkHours   = signals.WorkHours
	SigSeeds       = signals.Seeds
)

// TimeZone is a named UTC offset in hours (3.5 for Iran Standard Time).
type TimeZone struct {
	Name   string  `json:"name" yaml:"name"`
	Offset float64 `json:"offset" yaml:"offset"`
}

// Config holds scoring's tunables. Load it with LoadConfig or start from
// DefaultConfig; docs/DETECTION.md documents every default.
type Config struct {
	// Weights[s] in [0,1]: how far signal s alone can raise the score.
	// Signals combine as a noisy-OR: score = 1 - prod(1 - w_s * x_s).
	Weights map[signals.Name]float64 `json:"weights" yaml:"weights"`
	// ContextCap bounds what context signals (datacenter share, shared
	// infrastructure, creation dates, countries, working hours) add to a
	// score without behavioural evidence.
	ContextCap float64 `json:"contextCap" yaml:"contextCap"`
	// Threshold: networks scored at least this are flagged.
	Threshold float64 `json:"threshold" yaml:"threshold"`
	// MinSize: communities smaller than this are not scored, unless
	// SmallMinSwept lets their sweep speak for them.
	MinSize int `json:"minSize" yaml:"minSize"`
	// SmallMinSwept: a community of 1 to MinSize-1 accounts is scored
	// when its members together looked up at least this many distinct
	// numbers lying in swept groups of 100. A few accounts filling whole
	// groups by the thousand are enumerating whatever their number, and
	// splitting a sweep over four accounts, or sweeping alone from an
	// address nobody else uses, must not hide it; families and friends
	// sharing a device fill no groups. 0 turns it off.
	SmallMinSwept int `json:"smallMinSwept" yaml:"smallMinSwept"`
	// MaxVictims: at most this many looked-up victims are listed a network.
	MaxVictims int `json:"maxVictims" yaml:"maxVictims"`
	// MinGroupFill: a group of 100 numbers (all digits but the last two)
	// is swept when at least this many of its numbers were looked up.
	// Contacts scatter over a block; a sweep, shuffled or split among
	// members, fills whole groups.
	MinGroupFill int `json:"minGroupFill" yaml:"minGroupFill"`
	// SharedBlockMin: a block at least three members cover together (the
	// sharedBlocks signal) needs at least this many distinct numbers of
	// it that matched nobody looked up by them, outside swept groups: as
	// many as one account must look up to sweep a block alone
	// (projection's blockMinLookups), so that sharing the work buys the
	// ring nothing. 0 turns the signal off.
	SharedBlockMin int `json:"sharedBlockMin" yaml:"sharedBlockMin"`
	// LockstepWindow (seconds): two members acting on one target within
	// this window act in lockstep.
	LockstepWindow int64 `json:"lockstepWindowSeconds" yaml:"lockstepWindowSeconds"`
	// WorkStart and WorkEnd bound a working day, in local hours.
	WorkStart int `json:"workStart" yaml:"workStart"`
	WorkEnd   int `json:"workEnd" yaml:"workEnd"`
	// State-linked indicator inputs.
	WatchASNs      []uint32   `json:"watchASNs" yaml:"watchASNs"`
	WatchCountries []string   `json:"watchCountries" yaml:"watchCountries"`
	WatchTimeZones []TimeZone `json:"watchTimeZones" yaml:"watchTimeZones"`
}

// DefaultConfig returns the documented defaults. The watch lists are
// empty: which ASNs, countries and time zones matter is an analyst's
// judgement for a given investigation, not something code should assume.
func DefaultConfig() Config {
	return Config{
		Weights: map[signals.Name]float64{
			SigSweep:       0.85,
			SigShared:      0.75,
			SigLockstep:    0.75,
			SigDenseBlock:  0.35,
			SigDatacenter:  0.45,
			SigNewAccounts: 0.3,
			SigHitRatio:    0.25,
			SigVolume:      0.25,
			SigVelocity:    0.2,
			SigInfra:       0.15,
			SigCountries:   0.3,
			SigWorkHours:   0.15,
			SigSeeds:       0.6,
		},
		ContextCap:     0.35,
		Threshold:      0.5,
		MinSize:        5,
		SmallMinSwept:  1000,
		MaxVictims:     100,
		MinGroupFill:   20,
		SharedBlockMin: 25,
		LockstepWindow: 30 * 60,
		WorkStart:      9,
		WorkEnd:        18,
	}
}

// LoadConfig reads a YAML or JSON file (JSON is YAML) over the defaults;
// see ParseConfig.
func LoadConfig(path string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), fmt.Errorf("scoring config: %w", err)
	}
	c, err := ParseConfig(raw)
	if err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return c, nil
}

// ParseConfig reads YAML or JSON over the defaults: fields absent keep
// their default, and weights absent from the weights map keep theirs.
// Unknown fields are errors, so a misspelt setting is not silently
// ignored.
func ParseConfig(raw []byte) (Config, error) {
	c := DefaultConfig()
	defWeights := c.Weights
	c.Weights = nil
	if err := yaml.UnmarshalWithOptions(raw, &c, yaml.Strict()); err != nil {
		return c, fmt.Errorf("scoring config: %s", strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	for k, v := range defWeights {
		if _, ok := c.Weights[k]; !ok {
			if c.Weights == nil {
				c.Weights = map[signals.Name]float64{}
			}
			c.Weights[k] = v
		}
	}
	return c, c.Validate()
}

// Validate reports the first setting out of range.
func (c Config) Validate() error {
	for k, w := range c.Weights {
		if !k.Known() {
			names := make([]string, len(signals.All))
			for i, s := range signals.All {
				names[i] = string(s)
			}
			return fmt.Errorf("scoring config: unknown signal %q in weights (known: %s)", k, strings.Join(names, ", "))
		}
		if w < 0 || w > 1 {
			return fmt.Errorf("scoring config: weight of %s is %v, want 0..1", k, w)
		}
	}
	switch {
	case c.ContextCap < 0 || c.ContextCap > 1:
		return fmt.Errorf("scoring config: contextCap %v, want 0..1", c.ContextCap)
	case c.Threshold < 0 || c.Threshold > 1:
		return fmt.Errorf("scoring config: threshold %v, want 0..1", c.Threshold)
	case c.MinSize < 2:
		return fmt.Errorf("scoring config: minSize %d, want at least 2", c.MinSize)
	case c.SmallMinSwept < 0:
		return fmt.Errorf("scoring config: smallMinSwept %d, want 0 (off) or more", c.SmallMinSwept)
	case c.SharedBlockMin < 0:
		return fmt.Errorf("scoring config: sharedBlockMin %d, want 0 (off) or more", c.SharedBlockMin)
	case c.MinGroupFill < 2 || c.MinGroupFill > 100:
		return fmt.Errorf("scoring config: minGroupFill %d, want 2 to 100", c.MinGroupFill)
	case c.WorkStart < 0 || c.WorkEnd > 24 || c.WorkStart >= c.WorkEnd:
		return fmt.Errorf("scoring config: working hours %d-%d, want 0 <= start < end <= 24", c.WorkStart, c.WorkEnd)
	}
	for _, tz := range c.WatchTimeZones {
		if tz.Offset < -12 || tz.Offset > 14 {
			return fmt.Errorf("scoring config: time zone %s offset %v, want -12..14", tz.Name, tz.Offset)
		}
	}
	return nil
}
