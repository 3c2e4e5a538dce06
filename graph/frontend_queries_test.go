package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// TestFrontendQueriesValidate validates every GraphQL operation the UI and
// the playground send (frontend/src/graphql/operations.graphql, from which
// GraphQL Code Generator types the UI, and the playground's default query)
// against the schema, so a schema change that breaks them fails here, in the
// Go tests, as well as in the frontend's codegen check and type-check.
func TestFrontendQueriesValidate(t *testing.T) {
	s := schema(t)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ops := []struct{ file, src string }{{"operations.graphql", read("../frontend/src/graphql/operations.graphql")}}
	if n := len(regexp.MustCompile(`(?m)^(query|mutation|subscription) `).FindAllString(ops[0].src, -1)); n < 15 {
		t.Fatalf("operations.graphql has only %d operations", n)
	}
	play := regexp.MustCompile("(?s)const DEFAULT_QUERY = `(.*?)`").FindStringSubmatch(read("../frontend/playground/main.tsx"))
	if play == nil {
		t.Fatal("playground has no DEFAULT_QUERY")
	}
	ops = append(ops, struct{ file, src string }{"playground", play[1]})
	for _, op := range ops {
		if _, errs := gqlparser.LoadQueryWithRules(s, op.src, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("%s: %v", op.file, errs)
		}
	}
}
