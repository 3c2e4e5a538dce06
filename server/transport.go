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
// re-scans the whole of the already marshalled data (json.RawMessage) to
// compact and validate it: for a network's page of 100 members (10 KB)
// that was a quarter of the handler's CPU. jsonPOST writes the data as it
// is when json.Marshal would not change a byte of it (compactSafe), so the
// response is the same (TestWriteResponseMatchesJSONMarshal,
// TestFastListsSameResponse).
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
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // as transport.POST decodes
	if err := dec.Decode(&params); err != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		t.POST.Do(w, r, exec)
		return
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
// transports write), without re-scanning the data when it is already in
// json.Marshal's form.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if b, ok := appendResponse(nil, resp); ok {
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
// it has fields beyond errors and data, or data json.Marshal would change.
func appendResponse(b []byte, resp *graphql.Response) ([]byte, bool) {
	if resp == nil || resp.Label != "" || len(resp.Path) > 0 || resp.HasNext != nil || len(resp.Extensions) > 0 ||
		(resp.Data != nil && (len(resp.Data) == 0 || !compactSafe(resp.Data))) {
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
		b = append(b, resp.Data...)
	}
	return append(b, '}'), true
}

// compactSafe reports whether encoding/json would copy data, a JSON value,
// unchanged when marshalling it as a json.RawMessage: no whitespace between
// tokens (it compacts) and none of the characters it escapes inside
// strings (<, >, & and U+2028, U+2029, whose UTF-8 starts with 0xE2; other
// characters starting so only take the slow path).
func compactSafe(data []byte) bool {
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString:
			if c == '\\' {
				i++ // the escaped character
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return true
}
