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
// errors, as attackURLRate checks. done prints two lines that wrkLoad.run
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
  local q = {}
  for i = 0, 999 do q[#q + 1] = string.format("%%d", latency:percentile((i + 0.5) / 10)) end
  io.write("LOCKSTEP-WRK-QUANTILES " .. table.concat(q, " ") .. "\n")
end
`

// wrkLoad is wrk set up against the harness's /graphql: the request
// bodies and the script written once, so that each run (a window of a
// comparison) spends its time on requests only.
type wrkLoad struct {
	bin, script, bodies, url string
	conns                    int
}

// newWrkLoad writes 20,000 bodies drawn from body and the script; ok is
// false when wrk is not installed (apt-get install wrk), and the caller
// skips the wrk measurement.
func newWrkLoad(t testing.TB, h *harness, conns int, body func() ([]byte, error)) (w wrkLoad, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return wrkLoad{}, false
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
	w = wrkLoad{bin: bin, bodies: filepath.Join(dir, "bodies.ndjson"), script: filepath.Join(dir, "load.lua"), url: h.ts.URL + "/graphql", conns: conns}
	if err := os.WriteFile(w.bodies, lines.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.script, fmt.Appendf(nil, wrkScript, h.keys[admin]), 0o600); err != nil {
		t.Fatal(err)
	}
	return w, true
}

// run runs wrk (2 threads) for dur, in whole seconds as wrk takes it (at
// least one), and returns the result and the CPU wrk used. wrk reports a
// summary, not every latency, so the result's latencies are rebuilt from
// the 1,000 quantiles its script prints (0.05%, 0.15%, ... 99.95%): one
// per request, by rank. That lets windows of wrk merge like vegeta's
// (mergeMeasured); the rebuilt mean and percentiles are within a 0.1%
// quantile of wrk's own.
func (w wrkLoad) run(t testing.TB, dur time.Duration) (r result, wrkCPU time.Duration) {
	t.Helper()
	secs := max(1, int(dur.Round(time.Second).Seconds()))
	cmd := exec.Command(w.bin, "-t", "2", "-c", strconv.Itoa(w.conns), "-d", fmt.Sprintf("%ds", secs),
		"--timeout", "10s", "-s", w.script, w.url, "--", w.bodies)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		wrkCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	us := func(x int64) time.Duration { return time.Duration(x) * time.Microsecond }
	var summary, quantiles []int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || (f[0] != "LOCKSTEP-WRK" && f[0] != "LOCKSTEP-WRK-QUANTILES") {
			continue
		}
		v := make([]int64, len(f)-1)
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
				t.Fatalf("wrk output %q: %v", sc.Text(), err)
			}
		}
		if f[0] == "LOCKSTEP-WRK" {
			summary = v
		} else {
			quantiles = v
		}
	}
	if len(summary) != 7 || len(quantiles) != 1000 {
		t.Fatalf("wrk printed no summary or quantiles:\n%s", out)
	}
	n := int(summary[0])
	if n == 0 {
		t.Fatalf("wrk completed no request:\n%s", out)
	}
	lats := make([]time.Duration, n)
	for i := range lats {
		lats[i] = us(quantiles[min(999, (2*i+1)*1000/(2*n))])
	}
	r = summarise(lats, int(summary[6]), us(summary[1]))
	return r, wrkCPU
}
