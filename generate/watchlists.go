package generate

import (
	"fmt"

	"github.com/goccy/go-yaml"
)

// WatchListsFile is the detection configuration that describes a
// generated world's state-flavoured operators (docs/DETECTION.md,
// "Possibly state-linked"): `lockstep detect --config` reads it.
const WatchListsFile = "watchlists.yaml"

// The watch lists are an investigation's judgement, so detection's defaults
// leave them empty; a generated world knows the truth it planted, and
// writing it as a config lets a newcomer see the indicator fire. The field
// names are detection's (scoring section); a test reads the file back
// through detect.ParseParams.
type watchLists struct {
	Scoring struct {
		WatchASNs      []uint32  `yaml:"watchASNs"`
		WatchTimeZones []watchTZ `yaml:"watchTimeZones"`
		WatchCountries []string  `yaml:"watchCountries"`
	} `yaml:"scoring"`
}

type watchTZ struct {
	Name   string  `yaml:"name"`
	Offset float64 `yaml:"offset"`
}

// WatchListsYAML returns the detection config whose watch lists are the
// hosting ASNs, working-hours time zone and country of cfg's
// state-flavoured networks.
func WatchListsYAML(cfg Config) ([]byte, error) {
	cfg.normalize()
	var w watchLists
	w.Scoring.WatchASNs = cfg.WatchASNs
	w.Scoring.WatchCountries = []string{cfg.StateCountry}
	w.Scoring.WatchTimeZones = []watchTZ{{Name: utcOffsetName(cfg.StateUTCOffsetMinutes), Offset: float64(cfg.StateUTCOffsetMinutes) / 60}}
	body, err := yaml.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("generate: watch lists: %w", err)
	}
	head := "# The watch lists of this generated world's state-flavoured networks:\n" +
		"# lockstep detect --config " + WatchListsFile + " (docs/DETECTION.md).\n"
	return append([]byte(head), body...), nil
}

// utcOffsetName names a time zone by its offset, e.g. "UTC+03:30".
func utcOffsetName(minutes int) string {
	sign := '+'
	if minutes < 0 {
		sign, minutes = '-', -minutes
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, minutes/60, minutes%60)
}
