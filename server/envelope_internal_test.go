package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// jsonParams decodes body as gqlgen's POST transport does.
func jsonParams(body []byte) (graphql.RawParams, error) {
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&p)
	return p, err
}

var envelopeCases = []struct {
	name string
	body string
	fast bool // decodeParams takes it (otherwise encoding/json does)
}{
	{"query and variables", `{"query":"query($id: ID!) { account(id: $id) { id } }","variables":{"id":"acc0000001"}}`, true},
	{"GraphiQL's body", "{\n  \"query\": \"query Q {\\n  networks(first: 5) {\\n    totalCount\\n  }\\n}\",\n  \"operationName\": \"Q\",\n  \"variables\": null\n}", true},
	{"every escape", `{"query":"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 end"}`, true},
	{"lone surrogate halves", `{"query":"a\ud83d b\ude00 c\ud83d\u0041"}`, true},
	{"non-ASCII as is", `{"query":"{ account(id: \"café ☕ 😀\") { id } }"}`, true},
	{"variables of every kind", `{"query":"q","variables":{"n":-12.5e+3,"z":0,"i":42,"t":true,"f":false,"nil":null,"s":"x","a":[1,"b",[],{}],"o":{"k":{"k":[null]}}}}`, true},
	{"persisted query extension", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}},"variables":{}}`, true},
	{"nulls everywhere", `{"query":null,"operationName":null,"variables":null,"extensions":null}`, true},
	{"empty object", ` {} `, true},
	{"repeated variable: last wins", `{"query":"q","variables":{"a":1,"a":2}}`, true},
	{"escaped variable name", `{"query":"q","variables":{"\u0069d":"x"}}`, true},

	{"other key", `{"query":"q","foo":1}`, false},
	{"key in other case", `{"Query":"q"}`, false},
	{"key given twice", `{"query":"a","query":"b"}`, false},
	{"trailing data", `{"query":"q"} {"query":"r"}`, false},
	{"invalid UTF-8", "{\"query\":\"a\xffb\"}", false},
	{"control character", "{\"query\":\"a\x01b\"}", false},
	{"query not a string", `{"query":1}`, false},
	{"variables not an object", `{"query":"q","variables":[1]}`, false},
	{"leading zero", `{"variables":{"n":01}}`, false},
	{"bad escape", `{"query":"\x"}`, false},
	{"short unicode escape", `{"query":"\u12"}`, false},
	{"unterminated", `{"query":"q"`, false},
	{"trailing comma", `{"query":"q",}`, false},
	{"not an object", `["query"]`, false},
	{"empty", ``, false},
	{"too deep", `{"variables":{"a":` + string(bytes.Repeat([]byte("["), 70)) + string(bytes.Repeat([]byte("]"), 70)) + `}}`, false},
}

func TestDecodeParamsMatchesEncodingJSON(t *testing.T) {
	for _, c := range envelopeCases {
		t.Run(c.name, func(t *testing.T) {
			got, fast := decodeParams([]byte(c.body))
			if fast != c.fast {
				t.Fatalf("fast path = %v, want %v", fast, c.fast)
			}
			if !fast {
				return
			}
			want, err := jsonParams([]byte(c.body))
			if err != nil {
				t.Fatalf("decodeParams took a body encoding/json refuses (%v)", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeParams = %#v\nencoding/json = %#v", got, want)
			}
		})
	}
}

// Whenever decodeParams takes a body, encoding/json must accept it and
// decode the same: the fast path can only be faster, never different.
func FuzzDecodeParams(f *testing.F) {
	for _, c := range envelopeCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, fast := decodeParams(body)
		if !fast {
			return
		}
		want, err := jsonParams(body)
		if err != nil {
			t.Fatalf("decodeParams took %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ndecodeParams = %#v\nencoding/json = %#v", body, got, want)
		}
	})
}

// BenchmarkDecodeParams: the load benchmark's account request, decoded
// by decodeParams and by encoding/json as transport.POST does.
func BenchmarkDecodeParams(b *testing.B) {
	body := []byte(`{"query":"query($id: ID!) { account(id: $id) { id handle country verified ips { ip { addr kind } count last } devices { device { id os } count } } }","variables":{"id":"acc0001234"}}`)
	b.Run("decodeParams", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeParams(body); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonParams(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
