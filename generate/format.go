package generate

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strconv"
	"time"

	"github.com/lockstep-dev/lockstep/events"
)

// sink receives the world's records in output order.
type sink interface {
	write(w *world, e *ev) error
	flush() error
}

// timeFormat writes RFC 3339 UTC timestamps of whole seconds, formatting
// the date only when the day changes (records come in time order).
type timeFormat struct {
	day    int64
	prefix []byte // "2006-01-02T"
}

func (f *timeFormat) append(b []byte, t int64) []byte {
	d := t / day
	if t < 0 {
		return time.Unix(t, 0).UTC().AppendFormat(b, time.RFC3339)
	}
	if f.prefix == nil || d != f.day {
		f.day, f.prefix = d, time.Unix(d*day, 0).UTC().AppendFormat(f.prefix[:0], "2006-01-02T")
	}
	s := t - d*day
	h, m, sec := byte(s/3600), byte(s/60%60), byte(s%60)
	b = append(b, f.prefix...)
	return append(b, '0'+h/10, '0'+h%10, ':', '0'+m/10, '0'+m%10, ':', '0'+sec/10, '0'+sec%10, 'Z')
}

// appendTarget writes a lookup's target and returns its kind.
func (w *world) appendTarget(b []byte, e *ev) ([]byte, string) {
	switch e.c {
	case targetEmailAccount:
		return w.appendEmail(b, int32(e.a)), events.TargetEmail
	case targetEmailOther:
		var h [8]byte
		binary.BigEndian.PutUint64(h[:], mix64(e.a))
		b = append(b, 'c')
		b = hex.AppendEncode(b, h[:])
		return append(b, "@example.net"...), events.TargetEmail
	default:
		if isInvalidCode(e.c) {
			return w.invalid[e.c-targetInvalidBase].appendNumber(b, e.a), events.TargetPhone
		}
		return w.spaces[e.c].appendNumber(b, e.a), events.TargetPhone
	}
}

// ndjsonSink writes events.Record lines byte for byte as encoding/json
// would (a test holds it to that), only much faster: the values it writes
// never need escaping.
type ndjsonSink struct {
	bw  *bufio.Writer
	buf []byte
	tf  timeFormat
}

func newNDJSONSink(out io.Writer) *ndjsonSink {
	return &ndjsonSink{bw: bufio.NewWriterSize(out, 1<<20), buf: make([]byte, 0, 512)}
}

func (s *ndjsonSink) write(w *world, e *ev) error {
	b := s.buf[:0]
	switch e.kind {
	case evAccount:
		b = append(b, `{"kind":"account","id":"`...)
		b = appendAccountID(b, e.acct)
		b = append(b, `","handle":"`...)
		b = w.appendHandle(b, e.acct)
		b = append(b, `","created_at":"`...)
		b = s.tf.append(b, w.created[e.acct])
		b = append(b, `","country":"`...)
		b = append(b, countries[w.country[e.acct]].code...)
		b = append(b, '"')
		if w.flags[e.acct]&flagVerified != 0 {
			b = append(b, `,"verified":true`...)
		}
	case evLogin:
		as := w.in.asnOf(e.a)
		b = append(b, `{"kind":"login","account":"`...)
		b = appendAccountID(b, e.acct)
		b = append(b, `","time":"`...)
		b = s.tf.append(b, e.t)
		b = append(b, `","ip":"`...)
		b = w.in.appendIP(b, e.a)
		b = append(b, `","ip_asn":`...)
		b = strconv.AppendUint(b, uint64(as.asn), 10)
		b = append(b, `,"ip_as_org":"`...)
		b = append(b, as.org...)
		b = append(b, `","ip_country":"`...)
		b = append(b, as.country...)
		b = append(b, `","ip_kind":"`...)
		b = append(b, as.kind...)
		b = append(b, `","device":"`...)
		b = appendDeviceID(b, w.key, e.b)
		os, client := deviceOS(w.key, e.b)
		b = append(b, `","device_os":"`...)
		b = append(b, os...)
		b = append(b, `","device_client":"`...)
		b = append(b, client...)
		b = append(b, '"')
	case evLookup:
		b = append(b, `{"kind":"lookup","account":"`...)
		b = appendAccountID(b, e.acct)
		b = append(b, `","time":"`...)
		b = s.tf.append(b, e.t)
		b = append(b, `","target":"`...)
		var kind string
		b, kind = w.appendTarget(b, e)
		b = append(b, `","target_kind":"`...)
		b = append(b, kind...)
		b = append(b, '"')
		if kind == events.TargetPhone {
			b = append(b, `,"region":"`...)
			b = append(b, countries[w.country[e.acct]].code...)
			b = append(b, '"')
		}
		if e.b != 0 {
			b = append(b, `,"matched":"`...)
			b = appendAccountID(b, int32(e.b-1))
			b = append(b, '"')
		}
	}
	b = append(b, "}\n"...)
	s.buf = b
	_, err := s.bw.Write(b)
	return err
}

func (s *ndjsonSink) flush() error { return s.bw.Flush() }

// csvSink writes the three CSV files with events' column lists. Values never
// hold commas, quotes or newlines, so no field needs quoting.
type csvSink struct {
	accounts, logins, lookups *bufio.Writer
	buf                       []byte
	tf                        timeFormat
}

func newCSVSink(accounts, logins, lookups io.Writer) (*csvSink, error) {
	s := &csvSink{
		accounts: bufio.NewWriterSize(accounts, 256<<10),
		logins:   bufio.NewWriterSize(logins, 1<<20),
		lookups:  bufio.NewWriterSize(lookups, 1<<20),
	}
	for _, h := range []struct {
		w    *bufio.Writer
		cols []string
	}{{s.accounts, events.AccountColumns}, {s.logins, events.LoginColumns}, {s.lookups, events.LookupColumns}} {
		for i, c := range h.cols {
			if i > 0 {
				h.w.WriteByte(',')
			}
			h.w.WriteString(c)
		}
		if err := h.w.WriteByte('\n'); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *csvSink) write(w *world, e *ev) error {
	b := s.buf[:0]
	var out *bufio.Writer
	switch e.kind {
	case evAccount:
		out = s.accounts
		b = appendAccountID(b, e.acct)
		b = append(b, ',')
		b = w.appendHandle(b, e.acct)
		b = append(b, ',')
		b = s.tf.append(b, w.created[e.acct])
		b = append(b, ',')
		b = append(b, countries[w.country[e.acct]].code...)
		b = append(b, ',')
		b = strconv.AppendBool(b, w.flags[e.acct]&flagVerified != 0)
	case evLogin:
		out = s.logins
		as := w.in.asnOf(e.a)
		b = appendAccountID(b, e.acct)
		b = append(b, ',')
		b = s.tf.append(b, e.t)
		b = append(b, ',')
		b = w.in.appendIP(b, e.a)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(as.asn), 10)
		b = append(b, ',')
		b = append(b, as.org...)
		b = append(b, ',')
		b = append(b, as.country...)
		b = append(b, ',')
		b = append(b, as.kind...)
		b = append(b, ',')
		b = appendDeviceID(b, w.key, e.b)
		os, client := deviceOS(w.key, e.b)
		b = append(b, ',')
		b = append(b, os...)
		b = append(b, ',')
		b = append(b, client...)
	case evLookup:
		out = s.lookups
		b = appendAccountID(b, e.acct)
		b = append(b, ',')
		b = s.tf.append(b, e.t)
		b = append(b, ',')
		var kind string
		b, kind = w.appendTarget(b, e)
		b = append(b, ',')
		b = append(b, kind...)
		b = append(b, ',')
		if kind == events.TargetPhone {
			b = append(b, countries[w.country[e.acct]].code...)
		}
		b = append(b, ',')
		if e.b != 0 {
			b = appendAccountID(b, int32(e.b-1))
		}
	}
	b = append(b, '\n')
	s.buf = b
	_, err := out.Write(b)
	return err
}

func (s *csvSink) flush() error {
	for _, bw := range []*bufio.Writer{s.accounts, s.logins, s.lookups} {
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// recordSink hands each record to a callback as an events.Record.
type recordSink struct {
	emit func(*events.Record) error
	rec  events.Record
}

func (s *recordSink) write(w *world, e *ev) error {
	s.rec = w.record(e)
	return s.emit(&s.rec)
}

func (s *recordSink) flush() error { return nil }

// record converts a compact event to its wire form.
func (w *world) record(e *ev) events.Record {
	switch e.kind {
	case evAccount:
		return events.Record{
			Kind: events.KindAccount, ID: string(appendAccountID(nil, e.acct)), Handle: string(w.appendHandle(nil, e.acct)),
			CreatedAt: events.NewTime(time.Unix(w.created[e.acct], 0)), Country: countries[w.country[e.acct]].code,
			Verified: w.flags[e.acct]&flagVerified != 0,
		}
	case evLogin:
		as := w.in.asnOf(e.a)
		os, client := deviceOS(w.key, e.b)
		return events.Record{
			Kind: events.KindLogin, Account: string(appendAccountID(nil, e.acct)), Time: events.NewTime(time.Unix(e.t, 0)),
			IP: w.in.ipString(e.a), IPASN: as.asn, IPASOrg: as.org, IPCountry: as.country, IPKind: as.kind,
			Device: deviceID(w.key, e.b), DeviceOS: os, DeviceClient: client,
		}
	default:
		target, kind := w.appendTarget(nil, e)
		r := events.Record{
			Kind: events.KindLookup, Account: string(appendAccountID(nil, e.acct)), Time: events.NewTime(time.Unix(e.t, 0)),
			Target: string(target), TargetKind: kind,
		}
		if kind == events.TargetPhone {
			r.Region = countries[w.country[e.acct]].code
		}
		if e.b != 0 {
			r.Matched = string(appendAccountID(nil, int32(e.b-1)))
		}
		return r
	}
}
