package server

import (
	"bytes"
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
)

// Query.network written in one pass, as rootAccount writes Query.account.
//
// Query.network reads a network with its first page of members in one
// statement, and the page was already a fast list, but gqlgen still ran
// the Network object, its signals and indicator, and the MemberConnection
// around the page field by field, then copied the page into its own
// buffer. In process, gqlgen's execution of the Network object took about
// a quarter of the handler's CPU outside the store on the load
// benchmark's network query (BENCHMARKS.md, session 9).
//
// rootNetwork writes the whole object when every selected field is a
// plain Network field or members whose page was read with the network:
// the first page (no cursor), of the size asked for with this request's
// variables, and the key's role passes the @hasRole the schema puts on
// members (read from the schema in newFastLists). It writes the
// connection as networkResolver.Members makes it. Anything else, and a
// network that is null, goes to gqlgen, so the response is the same byte
// for byte (TestFastListsSameResponse).

// networkRootPlan writes a root network; members are the members fields
// under it, whose page arguments are checked per request.
type networkRootPlan struct {
	obj     *objPlan[store.Network]
	members []graphql.CollectedField
	// size is about how long the last network written with this plan
	// was: the next one's buffer is made that size rather than grown.
	size atomic.Int64
}

// memberPage is one members field's value: the page read with the
// network, cut to the size asked for.
type memberPage struct {
	network *store.Network
	members []store.Member
	hasNext bool
}

// rootNetwork is the rootFunc of Query.network.
func rootNetwork(ctx context.Context, fl *fastLists, oc *graphql.OperationContext, field graphql.CollectedField, v any) ([]byte, bool) {
	n, ok := v.(*store.Network)
	if !ok || n == nil || fl.membersRole == "" {
		return nil, false
	}
	pa, ok := fl.planFor(oc, field, func() (any, bool) { return planNetworkRoot(fl, oc, field.Selections) })
	if !ok {
		return nil, false
	}
	p := pa.(*networkRootPlan)
	if len(p.members) > 0 {
		pr, ok := auth.FromContext(ctx)
		if !ok || n.FirstMembers == nil || !pr.Allows(fl.membersRole) {
			return nil, false
		}
		for _, f := range p.members {
			// The resolver serves the page read with the network only to
			// the first page of that size; a cursor or another size is
			// its own read (or error), left to it.
			args := f.ArgumentMap(oc.Variables)
			if pageSize(args["first"]) != n.FirstMembers.First-1 || !noCursor(args["after"]) {
				return nil, false
			}
		}
	}
	var b bytes.Buffer
	b.Grow(int(max(p.size.Load(), 512)))
	if !p.obj.write(&b, n) {
		return nil, false
	}
	p.size.Store(int64(b.Len() + 64))
	fl.served.Add(int64(len(p.members))) // its pages of members too
	return b.Bytes(), true
}

// pageSize is a first argument's value, or -1 when it is null or not an
// integer.
func pageSize(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int:
		return n
	}
	return -1
}

// noCursor tells whether an after argument asks for the first page, as
// networkResolver.Members reads it (null or empty).
func noCursor(v any) bool {
	s, isString := v.(string)
	return v == nil || (isString && s == "")
}

// planNetworkRoot plans a root network's selection.
func planNetworkRoot(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (any, bool) {
	rp := &networkRootPlan{}
	obj, ok := plan(fl, oc, sel, "Network", func(f graphql.CollectedField) (fieldFunc[store.Network], bool) {
		switch f.Name {
		case "id":
			return id(func(n *store.Network) string { return n.ID }), true
		case "key":
			return id(func(n *store.Network) string { return n.Key }), true
		case "runId":
			return id(func(n *store.Network) string { return n.RunID }), true
		case "size":
			return integer(func(n *store.Network) int { return n.Size }), true
		case "score":
			return float(func(n *store.Network) float64 { return n.Score }), true
		case "evidence":
			return jsonValue(func(n *store.Network) any { return n.Evidence }), true
		case "signals":
			p, ok := planSignal(fl, oc, f.Selections)
			return func(b *bytes.Buffer, n *store.Network) bool { return writeList(b, p, n.Signals) }, ok
		case "stateLinked":
			p, ok := planStateLinked(fl, oc, f.Selections)
			return object(p, func(n *store.Network) *store.StateLinkedIndicator { return &n.StateLinked }), ok
		case "members":
			p, ok := planMemberPage(fl, oc, f.Selections)
			rp.members = append(rp.members, f)
			return func(b *bytes.Buffer, n *store.Network) bool {
				page := memberPage{network: n, members: n.FirstMembers.Members}
				if first := n.FirstMembers.First - 1; len(page.members) > first {
					page.members, page.hasNext = page.members[:first], true
				}
				return p.write(b, &page)
			}, ok
		}
		return nil, false
	}, "members")
	rp.obj = obj
	return rp, ok
}

// jsonValue is a JSON scalar (graphql.Any), written by gqlgen's own
// marshaller.
func jsonValue[T any](get func(*T) any) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool {
		if x := get(v); x != nil {
			graphql.MarshalAny(x).MarshalGQL(b)
		} else {
			graphql.Null.MarshalGQL(b)
		}
		return true
	}
}

func planSignal(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.Signal], bool) {
	return plan(fl, oc, sel, "Signal", func(f graphql.CollectedField) (fieldFunc[store.Signal], bool) {
		switch f.Name {
		case "name":
			return str(func(s *store.Signal) string { return s.Name }), true
		case "value":
			return float(func(s *store.Signal) float64 { return s.Value }), true
		case "detail":
			return jsonValue(func(s *store.Signal) any { return s.Detail }), true
		}
		return nil, false
	})
}

func planStateLinked(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.StateLinkedIndicator], bool) {
	return plan(fl, oc, sel, "StateLinkedIndicator", func(f graphql.CollectedField) (fieldFunc[store.StateLinkedIndicator], bool) {
		switch f.Name {
		case "possible":
			return boolean(func(s *store.StateLinkedIndicator) bool { return s.Possible }), true
		case "confidence":
			return float(func(s *store.StateLinkedIndicator) float64 { return s.Confidence }), true
		case "reasons":
			return func(b *bytes.Buffer, s *store.StateLinkedIndicator) bool {
				b.WriteByte('[')
				for i, r := range s.Reasons {
					if i > 0 {
						b.WriteByte(',')
					}
					writeString(b, r)
				}
				b.WriteByte(']')
				return true
			}, true
		}
		return nil, false
	})
}

// planMemberPage plans a MemberConnection written from a memberPage.
func planMemberPage(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[memberPage], bool) {
	return plan(fl, oc, sel, "MemberConnection", func(f graphql.CollectedField) (fieldFunc[memberPage], bool) {
		switch f.Name {
		case "totalCount":
			return integer(func(p *memberPage) int { return p.network.Size }), true
		case "edges":
			ep, ok := planMemberEdge(fl, oc, f.Selections)
			return func(b *bytes.Buffer, p *memberPage) bool {
				b.WriteByte('[')
				var e store.MemberEdge // one for the page: each would be allocated
				for i := range p.members {
					if i > 0 {
						b.WriteByte(',')
					}
					e.Node = p.members[i]
					if !ep.write(b, &e) {
						return false
					}
				}
				b.WriteByte(']')
				return true
			}, ok
		case "pageInfo":
			pp, ok := planPageInfo(fl, oc, f.Selections)
			return func(b *bytes.Buffer, p *memberPage) bool {
				info := store.PageInfo{HasNextPage: p.hasNext}
				info.StartCursor, info.EndCursor = store.MemberPageCursors(p.members)
				return pp.write(b, &info)
			}, ok
		}
		return nil, false
	})
}

func planPageInfo(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.PageInfo], bool) {
	return plan(fl, oc, sel, "PageInfo", func(f graphql.CollectedField) (fieldFunc[store.PageInfo], bool) {
		switch f.Name {
		case "hasNextPage":
			return boolean(func(p *store.PageInfo) bool { return p.HasNextPage }), true
		case "hasPreviousPage":
			return boolean(func(p *store.PageInfo) bool { return p.HasPreviousPage }), true
		case "startCursor":
			return optStr(func(p *store.PageInfo) *string { return p.StartCursor }), true
		case "endCursor":
			return optStr(func(p *store.PageInfo) *string { return p.EndCursor }), true
		}
		return nil, false
	})
}
