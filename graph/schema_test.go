package graph_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/lockstep-dev/lockstep/graph"
	"github.com/lockstep-dev/lockstep/signals"
)

// enumValue is a stored signal name as the API's enum shows it:
// sharedInfra is SHARED_INFRA.
func enumValue(n signals.Name) string {
	var b strings.Builder
	for i, r := range string(n) {
		if 'A' <= r && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}

func schema(t *testing.T) *ast.Schema {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{}).Schema()
}

// TestSignalNameEnum holds the SignalName enum to package signals' list:
// one value per signal, each documented.
func TestSignalNameEnum(t *testing.T) {
	enum := schema(t).Types["SignalName"]
	if enum == nil || enum.Kind != ast.Enum {
		t.Fatal("schema has no enum SignalName")
	}
	want := map[string]bool{}
	for _, n := range signals.All {
		want[enumValue(n)] = true
	}
	for _, v := range enum.EnumValues {
		if !want[v.Name] {
			t.Errorf("SignalName.%s names no signal of package signals", v.Name)
		}
		delete(want, v.Name)
		if len(strings.Fields(v.Description)) < 3 {
			t.Errorf("SignalName.%s is not documented (description %q)", v.Name, v.Description)
		}
	}
	for v := range want {
		t.Errorf("signal %s has no SignalName value", v)
	}
}

// TestDescriptionsNameOnlyRealSignals reads every description of the
// schema: a name in it that speaks of a signal (its letters, case and
// underscores aside, hold a signal's name: `sweep_coverage`, hitRatio,
// SHARED_INFRA) must be a SignalName value or another name the schema
// defines, so descriptions cannot name signals that do not exist.
func TestDescriptionsNameOnlyRealSignals(t *testing.T) {
	s := schema(t)
	defined := map[string]bool{}
	var descs []struct{ where, text string }
	add := func(where, text string) {
		if text != "" {
			descs = append(descs, struct{ where, text string }{where, text})
		}
	}
	for _, d := range s.Types {
		defined[d.Name] = true
		add(d.Name, d.Description)
		for _, f := range d.Fields {
			defined[f.Name] = true
			add(d.Name+"."+f.Name, f.Description)
			for _, a := range f.Arguments {
				defined[a.Name] = true
				add(d.Name+"."+f.Name+"("+a.Name+")", a.Description)
			}
		}
		for _, v := range d.EnumValues {
			defined[v.Name] = true
			add(d.Name+"."+v.Name, v.Description)
		}
	}
	norm := func(x string) string { return strings.ToLower(strings.ReplaceAll(x, "_", "")) }
	speaksOfSignal := func(x string) bool {
		for _, n := range signals.All {
			if strings.Contains(norm(x), norm(string(n))) {
				return true
			}
		}
		return false
	}
	// Quoted names, snake_case and camelCase words, UPPER_SNAKE words.
	names := regexp.MustCompile("`[A-Za-z_][A-Za-z0-9_]*`|\\b[a-z]+(?:_[a-z0-9]+)+\\b|\\b[a-z]+[A-Z][A-Za-z0-9]*\\b|\\b[A-Z]+(?:_[A-Z0-9]+)+\\b")
	checked := 0
	for _, d := range descs {
		for _, n := range names.FindAllString(d.text, -1) {
			n = strings.Trim(n, "`")
			if !speaksOfSignal(n) {
				continue
			}
			checked++
			if !defined[n] {
				t.Errorf("%s: description names signal %q, which is not a SignalName value", d.where, n)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no description names a signal: the check read nothing")
	}
	t.Logf("%d descriptions, %d signal names in them checked", len(descs), checked)
}
