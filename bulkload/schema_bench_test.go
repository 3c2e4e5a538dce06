package bulkload

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/store/storetest"
)

// BenchmarkBuildSchema compares the ways to build the schema on a filled
// database: it drops every constraint and index of the RUNNING managed
// server of LOCKSTEP_BENCH_SCHEMA_HOME (a home a bulk load filled; the
// token indexes stay) and builds them again, alternately with Migrate (one
// statement at a time) and with BuildSchema, as Load does.
// LOCKSTEP_BENCH_SCHEMA_MODES picks the order (default
// "migrate,build,build,migrate").
//
//	LOCKSTEP_BENCH_SCHEMA_HOME=/work/bulk100k.X go test ./bulkload/ -run XXX -bench BuildSchema -benchtime 1x -v
func BenchmarkBuildSchema(b *testing.B) {
	home := os.Getenv("LOCKSTEP_BENCH_SCHEMA_HOME")
	if home == "" {
		b.Skip("LOCKSTEP_BENCH_SCHEMA_HOME unset")
	}
	ctx := context.Background()
	s := openManaged(b, ctx, home)
	modes := strings.Split(os.Getenv("LOCKSTEP_BENCH_SCHEMA_MODES"), ",")
	if modes[0] == "" {
		modes = []string{"migrate", "build", "build", "migrate"}
	}
	for range b.N {
		for _, mode := range modes {
			storetest.DropSchema(b, s)
			t0 := time.Now()
			var err error
			switch mode {
			case "migrate":
				err = s.Migrate(ctx)
			case "build":
				err = s.BuildSchema(ctx)
			default:
				b.Fatalf("unknown mode %q", mode)
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %s", mode, time.Since(t0).Round(10*time.Millisecond))
		}
	}
}
