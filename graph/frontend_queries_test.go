package graph_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// TestFrontendQueriesValidate validates every GraphQL operation the UI and
// the playground send (the /* GraphQL */ templates of
// frontend/src/api/queries.ts and the playground's default query) against
// the schema, so a schema change that breaks them fails here rather than in
// an analyst's browser. Interpolations are filled the way the UI fills
// them: ${ENTRY} with its constant, a conditional field with the field.
func TestFrontendQueriesValidate(t *testing.T) {
	s := schema(t)
	var ops []struct{ file, src string }
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	queries := read("../frontend/src/api/queries.ts")
	entry := regexp.MustCompile(`const ENTRY = '([^']*)'`).FindStringSubmatch(queries)
	if entry == nil {
		t.Fatal("queries.ts has no ENTRY constant")
	}
	for _, m := range regexp.MustCompile("(?s)/\\* GraphQL \\*/ `(.*?)`").FindAllStringSubmatch(queries, -1) {
		src := strings.ReplaceAll(m[1], "${ENTRY}", entry[1])
		src = regexp.MustCompile(`\$\{[^}?]*\? '([^']*)' : ''\}`).ReplaceAllString(src, "$1")
		ops = append(ops, struct{ file, src string }{"queries.ts", src})
	}
	play := regexp.MustCompile("(?s)const DEFAULT_QUERY = `(.*?)`").FindStringSubmatch(read("../frontend/playground/main.tsx"))
	if play == nil {
		t.Fatal("playground has no DEFAULT_QUERY")
	}
	ops = append(ops, struct{ file, src string }{"playground", play[1]})
	if len(ops) < 15 {
		t.Fatalf("found only %d operations", len(ops))
	}
	for _, op := range ops {
		if strings.Contains(op.src, "${") {
			t.Errorf("%s: an interpolation this test cannot fill: %s", op.file, op.src)
			continue
		}
		if _, errs := gqlparser.LoadQueryWithRules(s, op.src, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("%s: %v\n%s", op.file, errs, op.src)
		}
	}
}
