package server

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/lockstep-dev/lockstep/target"
)

// Export format, as documented in docs/API.md:
//
// CSV (format=csv, the default): a header row
// `account_id,network_id,score,run_id,reasons` (reasons joined with ';'),
// one row per account in account id order, then one last line
// `# sha256=<hex> rows=<n> withheld=<w>`. A cell a spreadsheet would run
// as a formula (one starting with = + - @, tab or carriage return: an
// account id is whatever the platform sent) is sent with a leading `'`.
//
// NDJSON (format=ndjson): one object per account
// {"accountId","networkId","score","runId","reasons"} in account id order,
// values as stored, then one last line
// {"sha256":"<hex>","rows":<n>,"withheld":<w>,"withheldReason":"..."}.
//
// In both, sha256 is the SHA-256 of every byte before that last line (the
// bytes sent, after neutralising), rows counts the rows sent, and withheld
// the list's accounts left out because they were allowlisted after the
// list was saved. The same values are sent as HTTP trailers
// X-Content-SHA256, X-Row-Count and X-Lockstep-Withheld. A body without
// the last line was cut short.

// flushEvery is how many rows are written between flushes, so the client
// sees rows as they come and the server holds at most a buffer of them.
const flushEvery = 1000

// exportStall is how long an export waits for a client to take the next
// rows before it gives up.
const exportStall = 2 * time.Minute

func (s *Server) exportSuspensionList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	if !p.Allows(store.RoleAnalyst) {
		writeError(w, http.StatusForbidden, "FORBIDDEN", "forbidden: exports need role ANALYST and the key "+p.Name+" has role "+string(p.Role))
		return
	}
	id := r.PathValue("id")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "ndjson" {
		writeError(w, http.StatusBadRequest, "BAD_USER_INPUT", "format must be csv or ndjson, got "+target.Quote(format))
		return
	}
	ctx := r.Context()
	if _, err := s.cfg.Store.SuspensionList(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "suspension list "+target.Quote(id)+" not found")
			return
		}
		s.cfg.Log.Error("export", "list", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "cannot read the list: the database is not reachable")
		return
	}

	h := w.Header()
	h.Set("Trailer", "X-Content-SHA256, X-Row-Count, X-Lockstep-Withheld")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+id+`.csv"`)
	} else {
		h.Set("Content-Type", "application/x-ndjson")
		h.Set("Content-Disposition", `attachment; filename="`+id+`.ndjson"`)
	}
	// The server's read and write timeouts bound ordinary requests; an
	// export takes as long as its list, so its write deadline moves on
	// with every flush instead: a client that stops reading for
	// exportStall is cut off.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
	w.WriteHeader(http.StatusOK)

	sum := sha256.New()
	buf := bufio.NewWriterSize(w, 64<<10)
	out := io.MultiWriter(buf, sum)
	enc := newEncoder(format, out)
	rows, withheld := 0, 0
	err := enc.header()
	if err == nil {
		withheld, err = s.cfg.Store.StreamSuspensionList(ctx, id, func(e store.SuspensionEntry) error {
			if err := enc.row(e); err != nil {
				return err
			}
			rows++
			if rows%flushEvery == 0 {
				if err := enc.flush(); err != nil {
					return err
				}
				_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
				if err := buf.Flush(); err != nil {
					return err
				}
				_ = rc.Flush()
			}
			return nil
		})
	}
	if err == nil {
		err = enc.flush()
	}
	detail := map[string]any{"format": format, "withheld": withheld}
	if err != nil {
		// Headers are gone: the missing last line tells the client.
		detail["error"] = "incomplete: " + err.Error()
		if ctx.Err() != nil {
			// The client hung up or stalled: its own doing, not ours.
			s.cfg.Log.Info("export cut short by the client", "list", id, "rows", rows, "err", err)
		} else {
			s.cfg.Log.Error("export cut short", "list", id, "rows", rows, "err", err)
		}
	} else {
		digest := hex.EncodeToString(sum.Sum(nil))
		enc.footer(buf, digest, rows, withheld)
		_ = buf.Flush()
		h.Set("X-Content-SHA256", digest)
		h.Set("X-Row-Count", strconv.Itoa(rows))
		h.Set("X-Lockstep-Withheld", strconv.Itoa(withheld))
		detail["sha256"] = digest
	}
	// The audit outlives a client that hung up.
	if _, aerr := s.cfg.Store.RecordAudit(context.WithoutCancel(ctx), store.AuditEvent{
		Actor: p.Name, ActorKeyID: p.KeyID, Role: p.Role, Action: "export", Subject: &id, Rows: rows, Detail: detail,
	}); aerr != nil {
		s.cfg.Log.Error("audit export", "list", id, "err", aerr)
	}
}

type encoder interface {
	header() error
	row(store.SuspensionEntry) error
	flush() error
	footer(w io.Writer, digest string, rows, withheld int)
}

// withheldReason says why rows were left out; it is the same in both
// formats and in the audit record.
const withheldReason = "allowlisted after the list was saved"

func newEncoder(format string, w io.Writer) encoder {
	if format == "ndjson" {
		return &ndjsonEncoder{enc: json.NewEncoder(w)}
	}
	return &csvEncoder{w: csv.NewWriter(w)}
}

type csvEncoder struct {
	w   *csv.Writer
	rec [5]string
}

func (c *csvEncoder) header() error {
	return c.w.Write([]string{"account_id", "network_id", "score", "run_id", "reasons"})
}

func (c *csvEncoder) row(e store.SuspensionEntry) error {
	c.rec = [5]string{cell(e.AccountID), cell(e.NetworkID), strconv.FormatFloat(e.Score, 'f', -1, 64), cell(e.RunID), cell(strings.Join(e.Reasons, ";"))}
	return c.w.Write(c.rec[:])
}

// cell neutralises a value that a spreadsheet would evaluate as a formula
// (OWASP's rule for CSV injection): a leading = + - @, tab or carriage
// return gets a `'` before it, which spreadsheets show as text. The raw
// value stays available in the NDJSON export.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (c *csvEncoder) flush() error { c.w.Flush(); return c.w.Error() }

func (c *csvEncoder) footer(w io.Writer, digest string, rows, withheld int) {
	line := "# sha256=" + digest + " rows=" + strconv.Itoa(rows) + " withheld=" + strconv.Itoa(withheld)
	if withheld > 0 {
		line += " (" + withheldReason + ")"
	}
	_, _ = io.WriteString(w, line+"\n")
}

type ndjsonEncoder struct{ enc *json.Encoder }

func (n *ndjsonEncoder) header() error                     { return nil }
func (n *ndjsonEncoder) row(e store.SuspensionEntry) error { return n.enc.Encode(e) }
func (n *ndjsonEncoder) flush() error                      { return nil }

func (n *ndjsonEncoder) footer(w io.Writer, digest string, rows, withheld int) {
	last := map[string]any{"sha256": digest, "rows": rows, "withheld": withheld}
	if withheld > 0 {
		last["withheldReason"] = withheldReason
	}
	_ = json.NewEncoder(w).Encode(last)
}
