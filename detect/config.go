package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/lockstep-dev/lockstep/algorithms/community"
	"github.com/lockstep-dev/lockstep/algorithms/projection"
	"github.com/lockstep-dev/lockstep/algorithms/scoring"
)

// fileParams is the layout of a detection configuration file: run
// settings at the top, then optional projection and scoring sections
// (docs/DETECTION.md lists every field and its default).
type fileParams struct {
	Algorithm       *string       `yaml:"algorithm"`
	Resolution      *float64      `yaml:"resolution"`
	Seed            *uint64       `yaml:"seed"`
	MinWriteScore   *float64      `yaml:"minWriteScore"`
	IdentityJaccard *float64      `yaml:"identityJaccard"`
	NoSeeds         *bool         `yaml:"noSeeds"`
	Projection      yaml.MapSlice `yaml:"projection"`
	Scoring         yaml.MapSlice `yaml:"scoring"`
}

// LoadParams reads a YAML or JSON configuration file over DefaultParams.
// Unknown fields are errors that name the file.
func LoadParams(path string) (Params, error) {
	p := DefaultParams()
	if path == "" {
		return p, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("detection config: %w", err)
	}
	p, err = ParseParams(raw)
	if err != nil {
		return p, fmt.Errorf("detection config %s: %w", filepath.Base(path), err)
	}
	return p, nil
}

// ParseParams reads a configuration document over DefaultParams.
func ParseParams(raw []byte) (Params, error) {
	p := DefaultParams()
	var f fileParams
	if err := yaml.UnmarshalWithOptions(raw, &f, yaml.Strict()); err != nil {
		return p, fmt.Errorf("%s", strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	setIf(&p.Algorithm, f.Algorithm)
	setIf(&p.Resolution, f.Resolution)
	setIf(&p.Seed, f.Seed)
	setIf(&p.MinWriteScore, f.MinWriteScore)
	setIf(&p.IdentityJaccard, f.IdentityJaccard)
	setIf(&p.NoSeeds, f.NoSeeds)
	if len(f.Projection) > 0 {
		sub, err := yaml.Marshal(f.Projection)
		if err != nil {
			return p, err
		}
		// Decoding into the defaults keeps every field the section omits.
		pp := projection.DefaultParams()
		if err := yaml.UnmarshalWithOptions(sub, &pp, yaml.Strict()); err != nil {
			return p, fmt.Errorf("projection: %s", strings.TrimSpace(yaml.FormatError(err, false, true)))
		}
		p.Projection = pp
	}
	if len(f.Scoring) > 0 {
		sub, err := yaml.Marshal(f.Scoring)
		if err != nil {
			return p, err
		}
		sc, err := scoring.ParseConfig(sub)
		if err != nil {
			return p, err
		}
		p.Scoring = sc
	}
	return p, p.Validate()
}

// setIf sets *dst to *v when the file gave v.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Validate reports the first setting out of range.
func (p Params) Validate() error {
	switch {
	case !slices.Contains(community.Algorithms, p.Algorithm):
		return fmt.Errorf("unknown algorithm %q (want one of %v)", p.Algorithm, community.Algorithms)
	case p.Resolution <= 0:
		return fmt.Errorf("resolution %v, want > 0", p.Resolution)
	case p.MinWriteScore < 0 || p.MinWriteScore > 1:
		return fmt.Errorf("minWriteScore %v, want 0..1", p.MinWriteScore)
	case p.IdentityJaccard <= 0 || p.IdentityJaccard > 1:
		return fmt.Errorf("identityJaccard %v, want (0, 1]", p.IdentityJaccard)
	case p.Projection.MinWeight <= 0:
		return fmt.Errorf("projection.minWeight %v, want > 0", p.Projection.MinWeight)
	}
	for k := range projection.NumKinds {
		if p.Projection.HubCap[k] < 2 {
			return fmt.Errorf("projection.hubCap[%s] %d, want at least 2", k, p.Projection.HubCap[k])
		}
	}
	return p.Scoring.Validate()
}
