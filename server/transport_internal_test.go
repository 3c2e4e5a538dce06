package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse must write what json.Marshal writes (gqlgen's transports),
// whichever path it takes.
func TestWriteResponseMatchesJSONMarshal(t *testing.T) {
	yes := true
	// What gqlgen's JSON scalar (graphql.Any, Network.evidence) writes
	// inside a response.
	var anyScalar bytes.Buffer
	anyScalar.WriteString(`{"evidence":`)
	graphql.MarshalAny([]any{"150 accounts share 3 IPs", map[string]any{"sweep": "a<b & c\u2028"}}).MarshalGQL(&anyScalar)
	anyScalar.WriteString(`,"n":1}`)
	for _, c := range []struct {
		name string
		resp *graphql.Response
		fast bool // written without json.Marshal
	}{
		{"data", &graphql.Response{Data: json.RawMessage(`{"a":[1,2.5,"x y"],"b":null,"c":{"d":"\"<q>\""}}`)}, true},
		{"plain data", &graphql.Response{Data: json.RawMessage(`{"a":[1,2.5,"x y \" \\ \u00e9"],"b":null,"c":{"d":true}}`)}, true},
		{"null data", &graphql.Response{}, true},
		{"null data with errors", &graphql.Response{Errors: gqlerror.List{{Message: "no <such> thing", Path: ast.Path{ast.PathName("a"), ast.PathIndex(1)},
			Extensions: map[string]any{"code": "NOT_FOUND"}}}}, true},
		{"data and errors", &graphql.Response{Data: json.RawMessage(`{"a":null}`), Errors: gqlerror.List{{Message: "e"}}}, true},
		{"whitespace between tokens", &graphql.Response{Data: json.RawMessage("{\"a\": [1, 2],\n\"b\":\t\"c d\"}")}, true},
		{"escaped U+2028", &graphql.Response{Data: json.RawMessage("{\"a\":\"x\u2028y\"}")}, true},
		{"ampersand", &graphql.Response{Data: json.RawMessage(`{"a":"x&y"}`)}, true},
		// gqlgen's JSON scalar (graphql.Any) ends its value with json.Encoder's newline.
		{"JSON scalar", &graphql.Response{Data: json.RawMessage("{\"evidence\":[\"a b\",\"c\u2029\"]\n,\"n\":1}")}, true},
		{"JSON scalar as gqlgen writes it", &graphql.Response{Data: json.RawMessage(anyScalar.Bytes())}, true},
		{"nil response", nil, false},
		// gqlgen's executor leaves an empty, non-nil Path on every
		// response; json.Marshal omits it (omitempty), so must we.
		{"empty path", &graphql.Response{Data: json.RawMessage(`{"a":1}`), Path: ast.Path{}}, true},
		{"path", &graphql.Response{Data: json.RawMessage(`{"a":1}`), Path: ast.Path{ast.PathName("a")}}, false},
		{"other fields", &graphql.Response{Data: json.RawMessage(`{}`), Label: "l", HasNext: &yes, Extensions: map[string]any{"k": 1}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := json.Marshal(c.resp)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			writeResponse(&got, c.resp)
			if got.String() != string(want) {
				t.Errorf("writeResponse = %s\n   json.Marshal = %s", got.String(), want)
			}
			if _, fast := appendResponse(nil, c.resp); fast != c.fast {
				t.Errorf("written without json.Marshal: %v, want %v", fast, c.fast)
			}
		})
	}
}

// FuzzWriteResponse: for any valid JSON as data, writeResponse writes what
// json.Marshal does.
func FuzzWriteResponse(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a": 1}`, `["x\"y",{"b":"\\"}]`, `"\u2028"`, `{"a":"<>&"}`, `null`, `{"k":"é…\\u00e9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		resp := &graphql.Response{Data: json.RawMessage(data)}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		writeResponse(&got, resp)
		if got.String() != string(want) {
			t.Fatalf("data %q: writeResponse = %s, json.Marshal = %s", data, got.String(), want)
		}
	})
}

// FuzzScalarWriters: the fast list's scalar writers write what gqlgen's
// marshallers write, for any string, integer and float.
func FuzzScalarWriters(f *testing.F) {
	f.Add("plain", int64(0), 0.95)
	f.Add("quote \" back \\ tab \t nl \n cr \r nul \x00 \x1f é \xff", int64(-42), 0.8999999999999999)
	f.Add("", int64(1)<<62, 1e21)
	f.Add("\u2028", int64(-1)<<63, 1e-7)
	f.Add("x", int64(7), 123456789.0)
	f.Fuzz(func(t *testing.T, s string, n int64, x float64) {
		var got, want bytes.Buffer
		writeString(&got, s)
		graphql.MarshalString(s).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Fatalf("writeString(%q) = %s, gqlgen %s", s, got.String(), want.String())
		}
		got.Reset()
		want.Reset()
		writeInt(&got, int(n))
		graphql.MarshalInt(int(n)).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Fatalf("writeInt(%d) = %s, gqlgen %s", n, got.String(), want.String())
		}
		got.Reset()
		want.Reset()
		ok := writeFloat(&got, x)
		err := graphql.MarshalFloatContext(x).MarshalGQLContext(context.Background(), &want)
		if ok != (err == nil) || (ok && got.String() != want.String()) {
			t.Fatalf("writeFloat(%v) = %s (%v), gqlgen %s (%v)", x, got.String(), ok, want.String(), err)
		}
	})
}

// BenchmarkWriteResponse: a network(id) response with 100 members and its
// JSON evidence (json.Encoder's newline in it, as graphql.Any leaves it),
// written by writeResponse and by json.Marshal, gqlgen's way.
func BenchmarkWriteResponse(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"network":{"id":"load-net-3","score":0.9,"size":150,"evidence":["150 accounts share 3 IPs","sweep of 4,000 consecutive numbers"]` + "\n" +
		`,"signals":[{"name":"shared_infrastructure","value":0.9}],"members":{"totalCount":150,"edges":[`)
	for i := range 100 {
		if i > 0 {
			data.WriteByte(',')
		}
		fmt.Fprintf(&data, `{"node":{"score":0.%02d,"role":"MEMBER","account":{"id":"acc%07d","handle":"user_%d"}}}`, i, i*37, i)
	}
	data.WriteString(`]}}}`)
	resp := &graphql.Response{Data: json.RawMessage(data.Bytes())}
	b.Run("writeResponse", func(b *testing.B) {
		b.SetBytes(int64(data.Len()))
		for b.Loop() {
			writeResponse(io.Discard, resp)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.SetBytes(int64(data.Len()))
		for b.Loop() {
			out, err := json.Marshal(resp)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(out)
		}
	})
}
