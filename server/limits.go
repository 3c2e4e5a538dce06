package server

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/lockstep-dev/lockstep/graph"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// shapeLimit rejects operations nested deeper than MaxDepth or using more
// than MaxAliases aliases, before anything runs. Fragments count where they
// are spread (a fragment of 10 aliases spread 10 times is 100 aliases).
type shapeLimit struct {
	MaxDepth   int
	MaxAliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l shapeLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	w := walker{maxDepth: l.MaxDepth}
	depth := w.walk(rc.Operation.SelectionSet, 1)
	if depth > l.MaxDepth {
		return limitError("DEPTH_LIMIT_EXCEEDED", fmt.Sprintf("operation is nested %d levels deep; the limit is %d (ask for less at once, then follow ids)", depth, l.MaxDepth))
	}
	if w.aliases > l.MaxAliases {
		return limitError("ALIAS_LIMIT_EXCEEDED", fmt.Sprintf("operation uses %d aliases; the limit is %d (batch with list fields instead)", w.aliases, l.MaxAliases))
	}
	return nil
}

type walker struct {
	maxDepth int
	aliases  int
}

// walk returns the depth of a selection set whose fields are at level
// depth. It stops descending past maxDepth+1, so a crafted document cannot
// make it work hard, and stops counting aliases past a million.
func (w *walker) walk(set ast.SelectionSet, depth int) int {
	if depth > w.maxDepth+1 || w.aliases > 1_000_000 {
		return depth
	}
	max := depth - 1
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			d = depth
			switch {
			case s.Name == "ofType" && len(s.SelectionSet) > 0:
				// Introspection's type wrappers (non-null, list) do not
				// count: a schema wraps a type at most a few times and
				// deeper ofType levels resolve to null at no cost, but
				// clients ask for nine of them (graphql-js's introspection
				// query, which GraphiQL sends, is 14 levels deep with them).
				d = w.walk(s.SelectionSet, depth)
			case len(s.SelectionSet) > 0:
				d = w.walk(s.SelectionSet, depth+1)
			}
		case *ast.InlineFragment:
			d = w.walk(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = w.walk(s.Definition.SelectionSet, depth)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}

func limitError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// complexity sets the cost of list fields: the page size times the cost of
// one item, so gqlgen's complexity limit sees what a query really asks for.
func complexity() graph.ComplexityRoot {
	var c graph.ComplexityRoot
	n := func(p *int, def int) int {
		if p == nil {
			return def
		}
		if *p < 1 {
			return 1
		}
		return *p
	}
	c.Account.Ips = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Account.Devices = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Account.Lookups = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Account.Memberships = func(child int) int { return 1 + 50*child }
	// The sweep reads every phone lookup of the account (thousands for a
	// ring member) to summarise them: a high base cost keeps a page of
	// networks from asking for it for all their members.
	c.Account.Sweep = func(child int) int { return 500 + store.MaxSweepBlocks*child }
	c.IP.Accounts = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Device.Accounts = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Target.MatchedAccounts = func(child int) int { return 1 + 20*child }
	c.Network.Victims = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Network.Members = func(child int, first *int, _ *string) int { return 1 + n(first, 50)*child }
	// One statement per network (they serve the single-network view): a
	// high base cost keeps a page of networks from asking for them all.
	c.Network.MemberEvidence = func(child int, _ string) int { return 500 + child }
	c.Network.SharedResources = func(child int, first *int) int { return 500 + n(first, 20)*child }
	c.Network.Reviews = func(child int) int { return 1 + 10*child }
	c.Network.Signals = func(child int) int { return 1 + 10*child }
	c.MemberEvidence.SharedIPs = func(child int) int { return 1 + 20*child }
	c.MemberEvidence.SharedDevices = func(child int) int { return 1 + 20*child }
	c.MemberEvidence.SharedTargets = func(child int) int { return 1 + 20*child }
	c.SharedResources.Ips = func(child int) int { return 1 + child }
	c.SharedResources.Devices = func(child int) int { return 1 + child }
	c.SharedResources.Targets = func(child int) int { return 1 + child }
	c.Query.Networks = func(child int, _ *model.NetworkFilter, _ *model.NetworkOrder, first *int, _ *string) int {
		return 1 + n(first, 20)*child
	}
	c.Query.Neighborhood = func(child int, _ string, _ *int, limit *int) int { return 1 + n(limit, 200)*child/4 }
	c.Query.DetectionRuns = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Query.SuspensionLists = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Query.AuditEvents = func(child int, _ *string, first *int, _ *string) int { return 1 + n(first, 50)*child }
	c.SuspensionList.Entries = func(child int, first *int, _ *string) int { return 1 + n(first, 50)*child }
	c.SuspensionListResult.Sample = func(child int) int { return 1 + 20*child }
	return c
}

// cachedComplexity is gqlgen's complexity limit with the complexity of an
// operation remembered between requests. Computing it walks the whole
// document and allocates an execution context and an argument map per
// field (about 11 µs of the account lookup's CPU). An operation's
// complexity depends on the document and on the values of the variables
// passed to the arguments of fields whose cost function reads arguments
// (`first`, `limit`: found by reflection in the ComplexityRoot, so a new
// one is never missed); the cache key is the parsed operation and those
// values. The parsed operation is gqlgen's cached document, the same for
// every request with the same query text. An operation over the limit is
// always handed to gqlgen's limit, which answers as before.
type cachedComplexity struct {
	limit *extension.ComplexityLimit
	max   int
	// argCost holds "Type.field" of the cost functions that take
	// arguments; nil when one of them matches no schema field, and then
	// nothing is cached.
	argCost map[string]bool

	mu    sync.Mutex
	cache map[*ast.OperationDefinition]*opComplexity
}

// opComplexity is what is known of one operation: the variables its
// complexity depends on, and its complexity for values of them seen.
type opComplexity struct {
	vars     []string
	byValues map[string]int
}

// Bounds of the cache; it is simply dropped when full.
const (
	maxComplexityOps    = 1000
	maxComplexityValues = 256
)

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &cachedComplexity{}

func newCachedComplexity(max int, costs graph.ComplexityRoot) *cachedComplexity {
	return &cachedComplexity{limit: extension.FixedComplexityLimit(max), max: max, argCost: argCostFields(costs)}
}

// argCostFields returns the schema names ("Type.field") of the cost
// functions set in costs that take arguments besides the child complexity.
// Go field names are gqlgen's spelling of the schema's, which the caller
// matches case-insensitively; one it cannot match turns caching off.
func argCostFields(costs graph.ComplexityRoot) map[string]bool {
	out := map[string]bool{}
	rv := reflect.ValueOf(costs)
	for i := range rv.NumField() {
		typ := rv.Type().Field(i).Name
		obj := rv.Field(i)
		if obj.Kind() != reflect.Struct {
			continue
		}
		for j := range obj.NumField() {
			fn := obj.Field(j)
			if fn.Kind() != reflect.Func || fn.IsNil() || fn.Type().NumIn() <= 1 {
				continue
			}
			out[typ+"."+obj.Type().Field(j).Name] = true
		}
	}
	return out
}

func (*cachedComplexity) ExtensionName() string { return "CachedComplexityLimit" }

func (c *cachedComplexity) Validate(es graphql.ExecutableSchema) error {
	if err := c.limit.Validate(es); err != nil {
		return err
	}
	// Map the Go names to schema names; drop the cache if one is missing.
	named := map[string]bool{}
	for _, def := range es.Schema().Types {
		for _, f := range def.Fields {
			for k := range c.argCost {
				typ, field, _ := strings.Cut(k, ".")
				if strings.EqualFold(typ, def.Name) && strings.EqualFold(field, f.Name) {
					named[def.Name+"."+f.Name] = true
					delete(c.argCost, k)
				}
			}
		}
	}
	if len(c.argCost) > 0 {
		c.argCost = nil // a cost function this code cannot place: no cache
		return nil
	}
	c.argCost = named
	return nil
}

func (c *cachedComplexity) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil || c.argCost == nil {
		return c.limit.MutateOperationContext(ctx, oc)
	}
	c.mu.Lock()
	e := c.cache[op]
	c.mu.Unlock()
	if e == nil {
		e = &opComplexity{vars: c.costVariables(op.SelectionSet, nil, 0), byValues: map[string]int{}}
	}
	key, ok := valuesKey(e.vars, oc.Variables)
	if ok {
		c.mu.Lock()
		n, hit := e.byValues[key]
		c.mu.Unlock()
		if hit && n <= c.max {
			oc.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.max})
			return nil
		}
	}
	err := c.limit.MutateOperationContext(ctx, oc)
	stats, _ := oc.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats)
	if ok && stats != nil {
		c.mu.Lock()
		if c.cache == nil || len(c.cache) >= maxComplexityOps {
			c.cache = map[*ast.OperationDefinition]*opComplexity{}
		}
		if len(e.byValues) >= maxComplexityValues {
			e.byValues = map[string]int{}
		}
		e.byValues[key] = stats.Complexity
		c.cache[op] = e
		c.mu.Unlock()
	}
	return err
}

// costVariables appends the variables used, at any depth of their value,
// in the arguments of fields whose cost reads arguments (all fields of
// interfaces and unions, whose cost is their implementors'), following
// fragments as gqlgen's complexity walk does.
func (c *cachedComplexity) costVariables(set ast.SelectionSet, vars []string, depth int) []string {
	if depth > 64 {
		return append(vars, "") // never a variable: no caching
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object || c.argCost[s.ObjectDefinition.Name+"."+s.Name] {
				for _, a := range s.Arguments {
					vars = valueVariables(a.Value, vars)
				}
			}
			vars = c.costVariables(s.SelectionSet, vars, depth+1)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				return append(vars, "")
			}
			vars = c.costVariables(s.Definition.SelectionSet, vars, depth+1)
		case *ast.InlineFragment:
			vars = c.costVariables(s.SelectionSet, vars, depth+1)
		}
	}
	return vars
}

func valueVariables(v *ast.Value, vars []string) []string {
	if v == nil {
		return vars
	}
	if v.Kind == ast.Variable {
		return append(vars, v.Raw)
	}
	for _, ch := range v.Children {
		vars = valueVariables(ch.Value, vars)
	}
	return vars
}

// valuesKey is the values of vars, as JSON; "" for none. ok is false when
// they cannot be written (then nothing is cached) or a name is "" (see
// costVariables).
func valuesKey(vars []string, values map[string]any) (string, bool) {
	if len(vars) == 0 {
		return "", true
	}
	vs := make([]any, len(vars))
	for i, name := range vars {
		if name == "" {
			return "", false
		}
		vs[i] = values[name]
	}
	b, err := json.Marshal(vs)
	return string(b), err == nil
}

// requestTimeout bounds the execution of a query or mutation: resolvers
// get a context that ends after limit, and a response cut short carries a
// TIMEOUT error naming the limit. Subscriptions are exempt (they wait for
// events by design).
type requestTimeout struct{ limit time.Duration }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = requestTimeout{}

func (requestTimeout) ExtensionName() string                   { return "RequestTimeout" }
func (requestTimeout) Validate(graphql.ExecutableSchema) error { return nil }

func (t requestTimeout) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx) // an error response before any operation (bad body)
	}
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, t.limit)
	defer cancel()
	resp := next(ctx)
	if resp == nil || ctx.Err() != context.DeadlineExceeded {
		return resp
	}
	for _, e := range resp.Errors {
		if c, _ := e.Extensions["code"].(string); c == "TIMEOUT" {
			return resp
		}
	}
	resp.Errors = append(resp.Errors, &gqlerror.Error{
		Message:    "the request took longer than its " + t.limit.String() + " limit and was stopped",
		Extensions: map[string]any{"code": "TIMEOUT"},
	})
	return resp
}
