package store

import (
	"testing"
	"time"
)

func TestLocalTimes(t *testing.T) {
	local := time.Date(2026, 3, 4, 5, 6, 7, 8, time.Local)
	named := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("CET", 3600))
	utc := local.UTC()
	ptr := local
	params := map[string]any{
		"t":     local,
		"named": named,
		"ptr":   &ptr,
		"rows":  []map[string]any{{"first": local, "n": 1}, {"first": named}},
		"list":  []any{local, "x", map[string]any{"deep": local}},
		"times": []time.Time{local, named},
		"nil":   nil,
	}
	localTimes(params)
	rows := params["rows"].([]map[string]any)
	list := params["list"].([]any)
	for _, c := range []struct {
		name string
		got  any
		want time.Time
	}{
		{"t", params["t"], utc},
		{"named", params["named"], named},
		{"ptr", *params["ptr"].(*time.Time), utc},
		{"rows[0].first", rows[0]["first"], utc},
		{"rows[1].first", rows[1]["first"], named},
		{"list[0]", list[0], utc},
		{"list[2].deep", list[2].(map[string]any)["deep"], utc},
		{"times[0]", params["times"].([]time.Time)[0], utc},
		{"times[1]", params["times"].([]time.Time)[1], named},
	} {
		got, ok := c.got.(time.Time)
		if !ok || !got.Equal(c.want) || got.Location() == time.Local || got.Location().String() != c.want.Location().String() {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if rows[0]["n"] != 1 || list[1] != "x" || params["nil"] != nil {
		t.Errorf("non-time values changed: %v", params)
	}
	if ptr.Location() != time.Local {
		t.Error("the caller's *time.Time target was modified")
	}
}
