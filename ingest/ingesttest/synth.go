package ingesttest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Synth writes a deterministic NDJSON world for tests and benchmarks:
// accounts, then logins and lookups in time order with repeats, so that
// aggregation has work to do. About eventsPer events per account.
func Synth(w io.Writer, accounts, eventsPer int, seed uint64) (lines int, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	rnd := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	areas := []string{"415", "212", "310", "617", "702", "206", "512", "303"}
	kinds := []string{"residential", "mobile", "datacenter", "vpn", "campus"}
	for a := range accounts {
		fmt.Fprintf(bw, `{"kind":"account","id":"acc%07d","handle":"user%d","created_at":%d,"country":"US","verified":%v}`+"\n", a, a, start-int64(rnd.IntN(1e7)), a%3 == 0)
		lines++
	}
	ips := max(accounts/8, 1)
	n := accounts * eventsPer
	for i := range n {
		a := rnd.IntN(accounts)
		t := start + int64(i)*86400*30/int64(n)
		if rnd.IntN(2) == 0 {
			// Each account has a small set of home IPs and one device.
			ip := (a*7 + rnd.IntN(3)) % ips
			if rnd.IntN(50) == 0 {
				fmt.Fprintf(bw, `{"kind":"login","account":"acc%07d","time":%d,"ip":"2001:db8::%x","device":"dev%07d","device_os":"android"}`+"\n", a, t, ip, a)
			} else {
				fmt.Fprintf(bw, `{"kind":"login","account":"acc%07d","time":%d,"ip":"10.%d.%d.%d","ip_kind":"%s","ip_asn":%d,"device":"dev%07d"}`+"\n",
					a, t, ip>>16&255, ip>>8&255, ip&255, kinds[ip%len(kinds)], 64500+ip%50, a)
			}
		} else {
			// Lookups: a few popular numbers and a sweep-like spread.
			var num string
			if rnd.IntN(4) == 0 {
				num = fmt.Sprintf("+1415555%04d", rnd.IntN(20))
			} else {
				num = fmt.Sprintf("+1%s%03d%04d", areas[a%len(areas)], 200+a%700, rnd.IntN(10000))
			}
			matched := ""
			if rnd.IntN(100) == 0 {
				matched = fmt.Sprintf(`,"matched":"acc%07d"`, rnd.IntN(accounts))
			}
			fmt.Fprintf(bw, `{"kind":"lookup","account":"acc%07d","time":%d,"target":"%s"%s}`+"\n", a, t, num, matched)
		}
		lines++
	}
	return lines, bw.Flush()
}
