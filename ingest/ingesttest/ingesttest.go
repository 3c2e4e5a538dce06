// Package ingesttest holds the inputs that the tests of ingest and of the
// bulk first load (bulkload) both feed in, so both load the same worlds.
// It imports neither.
package ingesttest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lockstep-dev/lockstep/generate"
)

// SmallWorld is a hand-written NDJSON world: every record kind, times as
// RFC 3339 and Unix seconds, an IPv4-mapped IPv6 address, a number in
// several spellings, an e-mail target and a lookup matched to an account
// that has no record. A blank line is in it.
const SmallWorld = `{"kind":"account","id":"a1","handle":"alice","created_at":"2024-01-01T00:00:00Z","country":"US","verified":true}
{"kind":"account","id":"a2","handle":"bob","country":"IR"}
{"kind":"login","account":"a1","time":"2024-03-01T10:00:00Z","ip":"192.0.2.1","ip_asn":64500,"ip_as_org":"Example","ip_country":"US","ip_kind":"residential","device":"d1","device_os":"ios","device_client":"app"}
{"kind":"login","account":"a1","time":"2024-03-01T09:00:00Z","ip":"192.0.2.1","device":"d1"}
{"kind":"login","account":"a1","time":1709290800,"ip":"::ffff:192.0.2.1","device":"d1"}
{"kind":"login","account":"a2","time":"2024-03-02T10:00:00Z","ip":"2001:db8::1","device":"d1"}

{"kind":"lookup","account":"a2","time":"2024-03-02T10:01:00Z","target":"+1 415 555 2323","matched":"a1"}
{"kind":"lookup","account":"a2","time":"2024-03-02T10:02:00Z","target":"(415) 555-2323","region":"US"}
{"kind":"lookup","account":"a2","time":"2024-03-02T10:03:00Z","target":"+14155552324"}
{"kind":"lookup","account":"a1","time":"2024-03-02T10:04:00Z","target":"Carol@Example.org","target_kind":"email","matched":"a3"}
{"kind":"login","account":"a2","time":"2024-03-03T10:00:00Z","ip":"2001:db8::1"}
`

// WriteFile writes content to a file name in a temporary directory and
// returns its path.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// World writes a generated world as NDJSON to a temporary file and
// returns its path.
func World(t testing.TB, cfg generate.Config) string {
	t.Helper()
	return writeTemp(t, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if _, err := generate.WriteNDJSON(cfg, bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// SynthFile writes Synth's world to a temporary file and returns its path
// and its number of lines.
func SynthFile(t testing.TB, accounts, eventsPer int, seed uint64) (path string, lines int) {
	t.Helper()
	path = writeTemp(t, func(w io.Writer) (err error) {
		lines, err = Synth(w, accounts, eventsPer, seed)
		return err
	})
	return path, lines
}

// writeTemp creates events.ndjson in a temporary directory, fills it with
// write and returns its path.
func writeTemp(t testing.TB, write func(io.Writer) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Reversed writes the lines of path in reverse order: the same events
// again (so every edge merges into an existing one, counts add up) with
// times going backwards across chunks (so first moves earlier as well as
// last later) and account records last (properties set on nodes that
// exist).
func Reversed(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	slices.Reverse(lines)
	out := filepath.Join(t.TempDir(), "reversed.ndjson")
	if err := os.WriteFile(out, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
