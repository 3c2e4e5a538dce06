package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MarshalInt writes a GraphQL Int (gqlgen.yml maps Int here).
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads a GraphQL Int from a variable or literal. Unlike
// gqlgen's own, it refuses a string ("100"): the spec's input coercion for
// Int accepts only integer numbers, and a client sending a string has a
// bug we should show, not paper over. Its errors are the client's
// (BAD_USER_INPUT) and never quote the value (it may be a phone number).
func UnmarshalInt(v any) (int, error) {
	n, err := unmarshalInt(v)
	if err != nil {
		return 0, &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
	}
	return n, nil
}

func unmarshalInt(v any) (int, error) {
	switch v := v.(type) {
	case int:
		return v, nil
	case int64:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return 0, fmt.Errorf("an Int is outside the 32-bit range GraphQL allows")
		}
		return int(v), nil
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("an Int must be a whole number in the 32-bit range")
		}
		return int(n), nil
	case float64:
		if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
			return 0, fmt.Errorf("an Int must be a whole number in the 32-bit range")
		}
		return int(v), nil
	case string:
		return 0, fmt.Errorf("an Int must be a number, not a string")
	default:
		return 0, fmt.Errorf("an Int must be a number, got %T", v)
	}
}
