package store

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// decode reads v, a value Cypher returned (a record's map, a map
// projection such as a {.id, .handle}, or a list of them), into out by
// name: the key handle fills the field Handle, recursively. A value of the
// wrong type, or a key no field takes, is an error naming it, never a
// silent zero; a null or missing key leaves its field zero. So a field
// added to a model and to its Cypher projection needs no decoding code.
func decode(v any, out any) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:      out,
		ErrorUnused: true,
		DecodeHook:  neo4jTimes,
	})
	if err != nil {
		return err
	}
	if err := d.Decode(v); err != nil {
		// mapstructure lists its errors on lines of their own.
		return fmt.Errorf("reading %T from Neo4j: %s", out, strings.Join(strings.Fields(err.Error()), " "))
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

// neo4jTimes turns Neo4j's temporal values into UTC time.Time where a
// model holds one; ISO text written by hand is tolerated.
func neo4jTimes(_ reflect.Type, to reflect.Type, v any) (any, error) {
	if to != timeType {
		return v, nil
	}
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
			return nil, fmt.Errorf("time %q: %w", x, err)
		}
		return t.UTC(), nil
	}
	return v, nil
}
