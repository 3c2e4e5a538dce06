package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// jsonPOST is gqlgen's POST transport with a cheaper response writer for
// the common case. gqlgen writes a response with json.Marshal, which
// re-scans the whole of the already marshalled data (json.RawMessage) with
// its validating state machine to compact and escape it: for a network's
// page of 100 members (10 KB) that was a quarter of the handler's CPU.
// jsonPOST copies the data in one plain pass instead, doing what
// json.Marshal does to it (appendCompactData), so the response is the same
// (TestWriteResponseMatchesJSONMarshal, FuzzWriteResponse,
// TestFastListsSameResponse).
//
// The request envelope is read by decodeParams, not encoding/json, for
// the same reason.
//
// Only the plain path is taken here: a request with an Accept header other
// than none, application/json or */*, a body that cannot be read or
// decoded, or an operation that fails to parse or validate goes to
// transport.POST as it came, which answers exactly as before.
type jsonPOST struct{ transport.POST }

var _ graphql.Transport = jsonPOST{}

func (t jsonPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	switch r.Header.Get("Accept") {
	case "", "application/json", "*/*":
	default:
		t.POST.Do(w, r, exec)
		return
	}
	ctx := r.Context()
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		t.POST.Do(w, r, exec)
		return
	}
	params, ok := decodeParams(body)
	if !ok {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // as transport.POST decodes
		if err := dec.Decode(&params); err != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			t.POST.Do(w, r, exec)
			return
		}
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		t.POST.Do(w, r, exec)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	w.Header().Set("Content-Type", "application/json")
	writeResponse(w, responses(ctx))
}

// errReader fails with err once the body read before it is consumed.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// writeResponse writes resp as json.Marshal(resp) would (what gqlgen's
// transports write), without re-validating the data gqlgen marshalled.
func writeResponse(w io.Writer, resp *graphql.Response) {
	var buf []byte
	if resp != nil {
		buf = make([]byte, 0, len(resp.Data)+16)
	}
	if b, ok := appendResponse(buf, resp); ok {
		_, _ = w.Write(b)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", string(resp.Data), err)) // as gqlgen's transports do
	}
	_, _ = w.Write(b)
}

// appendResponse appends resp as json.Marshal would write it; false when
// it has fields beyond errors and data.
func appendResponse(b []byte, resp *graphql.Response) ([]byte, bool) {
	if resp == nil || resp.Label != "" || len(resp.Path) > 0 || resp.HasNext != nil || len(resp.Extensions) > 0 ||
		(resp.Data != nil && len(resp.Data) == 0) {
		return nil, false
	}
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		e, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, false
		}
		b = append(b, `"errors":`...)
		b = append(b, e...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	if resp.Data == nil {
		b = append(b, "null"...)
	} else {
		b = appendCompactData(b, resp.Data)
	}
	return append(b, '}'), true
}

// appendCompactData appends data, a JSON value gqlgen wrote, as
// json.Marshal writes a json.RawMessage: whitespace between tokens dropped
// (gqlgen's JSON scalar, graphql.Any, leaves the newline of json.Encoder
// after its value) and <, >, &, U+2028 and U+2029 escaped as \u003c ...
// \u2029. Unlike json.Marshal it does not validate data: gqlgen's
// marshallers only write valid JSON.
func appendCompactData(b, data []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	inString := false
	for i := 0; i < len(data); i++ {
		for i < len(data) && !compactSpecial[data[i]] {
			i++
		}
		if i == len(data) {
			break
		}
		c := data[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			b = append(b, data[start:i]...)
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2:
			if i+2 < len(data) && data[i+1] == 0x80 && data[i+2]&^1 == 0xA8 {
				b = append(b, data[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hex[data[i+2]&0xF])
				i += 2
				start = i + 1
			}
		case inString:
			if c == '\\' {
				i++ // the escaped character
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		default: // whitespace between tokens
			b = append(b, data[start:i]...)
			start = i + 1
		}
	}
	return append(b, data[start:]...)
}

// compactSpecial marks the bytes appendCompactData looks at; it copies the
// runs between them as they are.
var compactSpecial = func() (t [256]bool) {
	for _, c := range []byte("<>&\xE2\"\\ \t\n\r") {
		t[c] = true
	}
	return t
}()
