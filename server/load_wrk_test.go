package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wrkScript drives wrk (a C load generator, in its own process) with the
// benchmark's request bodies: each request is a random line of the bodies
// file. A response counts as an error unless it is a 200 with data and no
// errors, as attackURLRate checks. done prints one line that wrkAttack
// parses: requests, duration and latencies in µs, errors.
const wrkScript = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local threads = {}
local n = 0
setup = function(thread)
  n = n + 1
  thread:set("seed", n)
  table.insert(threads, thread)
end
local bodies = {}
bad = 0
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  math.randomseed(os.time() * 1000 + seed)
end
request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
response = function(status, headers, body)
  if status ~= 200 or body:sub(1, 9) ~= '{"data":{' or body:find('"errors":', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do errs = errs + t:get("bad") end
  io.write(string.format("LOCKSTEP-WRK %%d %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99), errs))
end
`

// wrkAttack runs wrk with conns connections (2 threads) against the
// harness's /graphql for dur, with bodies drawn from body. It returns the
// result and the CPU wrk used; ok is false when wrk is not installed
// (apt-get install wrk), and the caller skips this measurement.
func wrkAttack(t testing.TB, h *harness, dur time.Duration, conns int, body func() ([]byte, error)) (r result, wrkCPU time.Duration, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return result{}, 0, false
	}
	dir := t.TempDir()
	var lines bytes.Buffer
	for range 20000 {
		b, err := body()
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(b)
		lines.WriteByte('\n')
	}
	bodies, script := filepath.Join(dir, "bodies.ndjson"), filepath.Join(dir, "load.lua")
	if err := os.WriteFile(bodies, lines.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, h.keys[admin]), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", "2", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(dur.Seconds())),
		"--timeout", "10s", "-s", script, h.ts.URL+"/graphql", "--", bodies)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		wrkCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 8 || f[0] != "LOCKSTEP-WRK" {
			continue
		}
		v := make([]int64, 7)
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
				t.Fatalf("wrk output %q: %v", sc.Text(), err)
			}
		}
		us := func(x int64) time.Duration { return time.Duration(x) * time.Microsecond }
		r = result{N: int(v[0]), Rate: float64(v[0]) / us(v[1]).Seconds(), Mean: us(v[2]), P50: us(v[3]), P95: us(v[4]), P99: us(v[5]), Errors: int(v[6])}
		return r, wrkCPU, true
	}
	t.Fatalf("wrk printed no summary:\n%s", out)
	return result{}, 0, false
}
