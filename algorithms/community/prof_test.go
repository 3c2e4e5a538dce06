package community

import (
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/algorithms/community/internal/planted"
)

func TestTmpProf(t *testing.T) {
	g, _ := planted.Generate(planted.Standard(1_000_000, 20, 0.3, 1))
	t0, c0 := time.Now(), cpuTime()
	p := Leiden(g, 1, NewRand(1))
	t.Log("leiden", time.Since(t0), cpuTime()-c0, p.Modularity, p.Count)
}
