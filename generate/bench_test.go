package generate

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkToDir generates whole worlds into a directory. Set
// LOCKSTEP_GEN_BENCH_ACCOUNTS (for example 1000000) to add a size.
func BenchmarkToDir(b *testing.B) {
	sizes := []int{20000, 100000}
	if n, err := strconv.Atoi(os.Getenv("LOCKSTEP_GEN_BENCH_ACCOUNTS")); err == nil {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var events int
			var spent time.Duration
			for b.Loop() {
				dir := b.TempDir()
				began := time.Now()
				tr, err := ToDir(Config{Accounts: n, Seed: 1}, dir)
				if err != nil {
					b.Fatal(err)
				}
				spent += time.Since(began)
				events += tr.Stats.Logins + tr.Stats.Lookups
				os.RemoveAll(dir)
			}
			b.ReportMetric(float64(events)/spent.Seconds(), "events/s")
		})
	}
}

func FuzzTimeFormat(f *testing.F) {
	for _, s := range []int64{0, 86399, 1788220800, 4102444799} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ts int64) {
		if ts < 0 || ts > 253402300799 { // RFC 3339 years 0000-9999
			return
		}
		var tf timeFormat
		tf.append(nil, ts-86400*3) // a cached earlier day must not leak
		if got, want := string(tf.append(nil, ts)), time.Unix(ts, 0).UTC().Format(time.RFC3339); got != want {
			t.Fatalf("%d: %s, want %s", ts, got, want)
		}
	})
}

func FuzzPerm(f *testing.F) {
	f.Add(uint64(10000), uint64(1), uint64(0))
	f.Add(uint64(2_810_000), uint64(99), uint64(2_809_999))
	f.Fuzz(func(t *testing.T, n, key, x uint64) {
		n = 10000 + n%(1<<30)
		x %= n
		p := newPerm(n, key)
		y := p.fwd(x)
		if y >= n || p.inv(y) != x {
			t.Fatalf("n=%d key=%d: fwd(%d)=%d, inv=%d", n, key, x, y, p.inv(y))
		}
	})
}
