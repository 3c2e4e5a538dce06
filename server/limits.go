package server

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/graph"
	"github.com/lockstep-dev/lockstep/graph/model"
	"github.com/lockstep-dev/lockstep/resolvers"
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

// costBudget charges each operation's cost, the complexity the complexity
// limit computed for it, to its key's bucket of cost units (Config.CostPerSecond,
// Config.CostBurst). The request rate limit alone let a key send cheap-looking
// requests that each ran near the complexity limit; this bounds the work a
// key can ask for over time, whatever it is split into. It must be used
// after the complexity limit, whose figure it reads.
type costBudget struct{ limits *resolvers.Limiters }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = costBudget{}

func (costBudget) ExtensionName() string                   { return "CostBudget" }
func (costBudget) Validate(graphql.ExecutableSchema) error { return nil }

func (b costBudget) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	stats, _ := rc.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats)
	p, ok := auth.FromContext(ctx)
	if stats == nil || !ok || stats.Complexity <= 0 {
		return nil
	}
	ok, wait := b.limits.AllowN(p.KeyID, stats.Complexity)
	if ok {
		return nil
	}
	if wait < 0 {
		return limitError("RATE_LIMITED", fmt.Sprintf("operation costs %d, more than key %s may spend at once (%d): ask for less", stats.Complexity, p.Name, b.limits.Burst))
	}
	secs := int(math.Ceil(wait))
	return &gqlerror.Error{Message: fmt.Sprintf("key %s has spent its query budget (this operation costs %d): retry after %d s", p.Name, stats.Complexity, secs),
		Extensions: map[string]any{"code": "RATE_LIMITED", "retryAfterSeconds": secs}}
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
	// Each hop runs a statement over every node reached so far, following
	// up to 25 neighbours of each: the work grows with depth times limit,
	// whatever few fields the result shows.
	c.Query.Neighborhood = func(child int, _ string, depth *int, limit *int) int {
		return 1 + n(depth, 2)*n(limit, 200)*(4+child)
	}
	c.Query.DetectionRuns = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Query.SuspensionLists = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.Query.AuditEvents = func(child int, _ *string, first *int, _ *string) int { return 1 + n(first, 50)*child }
	c.SuspensionList.Entries = func(child int, first *int, _ *string) int { return 1 + n(first, 50)*child }
	c.SuspensionList.Exports = func(child int, first *int) int { return 1 + n(first, 20)*child }
	c.SuspensionListResult.Sample = func(child int) int { return 1 + 20*child }
	return c
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
