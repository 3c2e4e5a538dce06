package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// decode reads v, a value Cypher returned (a record's map, a map
// projection such as a {.id, .handle}, or a list of them), into out by
// name: the key handle fills the field Handle (names match regardless of
// case), recursively. A value of the wrong type, or a key no field takes,
// is an error naming it, never a silent zero; a null or missing key leaves
// its field zero. So a field added to a model and to its Cypher projection
// needs no decoding code.
//
// It replaced mapstructure, which spent about 130 allocations a record
// on tag parsing and reflection it redid for every value: a page of 100
// members was most of the Go CPU of a network(id) request. Here each
// struct type's field table is built once.
func decode(v any, out any) error {
	p := reflect.ValueOf(out)
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return fmt.Errorf("reading from Neo4j: decode needs a non-nil pointer, got %T", out)
	}
	if err := decodeValue(v, p.Elem()); err != nil {
		return fmt.Errorf("reading %T from Neo4j: %w", out, err)
	}
	return nil
}

// decodeRecords decodes each record (its columns by name) into a T.
func decodeRecords[T any](recs []*neo4j.Record) ([]T, error) {
	out := make([]T, len(recs))
	for i, r := range recs {
		if err := decode(r.AsMap(), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeFirst decodes column key of the first row into a T, or returns
// ErrNotFound when there is no row.
func decodeFirst[T any](rows []row, key string) (T, error) {
	var v T
	if len(rows) == 0 {
		return v, ErrNotFound
	}
	return v, decode(rows[0][key], &v)
}

var timeType = reflect.TypeFor[time.Time]()

// pathError is a decoding error with where it happened, built on the way
// back up (building the path of every value as it is decoded cost more
// than the decoding).
type pathError struct {
	path []string // outermost first: "members", "[3]", "account", "verified"
	msg  string
}

func (e *pathError) Error() string {
	if len(e.path) == 0 {
		return "value: " + e.msg
	}
	return strings.ReplaceAll(strings.Join(e.path, "."), ".[", "[") + ": " + e.msg
}

// at prefixes err's path with step.
func at(step string, err error) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = append([]string{step}, pe.path...)
		return pe
	}
	return &pathError{path: []string{step}, msg: err.Error()}
}

// decodeValue sets dst (zero on entry, addressable) from v.
func decodeValue(v any, dst reflect.Value) error {
	if v == nil {
		return nil
	}
	t := dst.Type()
	if t == timeType {
		tm, err := neo4jTime(v)
		if err != nil {
			return &pathError{msg: err.Error()}
		}
		*dst.Addr().Interface().(*time.Time) = tm
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		x := reflect.ValueOf(v)
		if !x.Type().AssignableTo(t) {
			return mismatch(t, v)
		}
		dst.Set(x)
	case reflect.Pointer:
		e := reflect.New(t.Elem())
		if err := decodeValue(v, e.Elem()); err != nil {
			return err
		}
		dst.Set(e)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			if r, isRow := v.(row); isRow {
				m, ok = r, true
			}
		}
		if !ok {
			return mismatch(t, v)
		}
		fs := fieldsOf(t)
		for k, x := range m {
			i, ok := fs[k]
			if !ok {
				i, ok = fs[strings.ToLower(k)]
			}
			if !ok {
				return &pathError{msg: fmt.Sprintf("key %q has no field in %s", k, t)}
			}
			if err := decodeValue(x, dst.Field(i)); err != nil {
				return at(k, err)
			}
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return mismatch(t, v)
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, x := range l {
			if err := decodeValue(x, s.Index(i)); err != nil {
				return at(fmt.Sprintf("[%d]", i), err)
			}
		}
		dst.Set(s)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return mismatch(t, v)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return mismatch(t, v)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch x := v.(type) {
		case int64:
			dst.SetInt(x)
		case float64:
			dst.SetInt(int64(x))
		case json.Number:
			i, err := x.Int64()
			if err != nil {
				return mismatch(t, v)
			}
			dst.SetInt(i)
		default:
			return mismatch(t, v)
		}
	case reflect.Float32, reflect.Float64:
		switch x := v.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		default:
			return mismatch(t, v)
		}
	default:
		return &pathError{msg: fmt.Sprintf("%s cannot be read from Neo4j", t)}
	}
	return nil
}

// fields caches, per struct type, its exported fields by name: lower
// case, and as a Cypher key usually spells it (createdAt for CreatedAt),
// so the common lookup needs no lower-casing.
var fields sync.Map // reflect.Type -> map[string]int

func fieldsOf(t reflect.Type) map[string]int {
	if f, ok := fields.Load(t); ok {
		return f.(map[string]int)
	}
	f := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if sf := t.Field(i); sf.IsExported() {
			f[strings.ToLower(sf.Name)] = i
			f[strings.ToLower(sf.Name[:1])+sf.Name[1:]] = i
		}
	}
	fields.Store(t, f)
	return f
}

func mismatch(t reflect.Type, v any) error {
	return &pathError{msg: fmt.Sprintf("expected %s, got %T (%.40v)", t, v, v)}
}

// neo4jTime turns Neo4j's temporal values into UTC time.Time; ISO text
// written by hand is tolerated.
func neo4jTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case neo4j.LocalDateTime:
		return x.Time().UTC(), nil
	case neo4j.Date:
		return x.Time().UTC(), nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", x, err)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("expected a time, got %T", v)
}
