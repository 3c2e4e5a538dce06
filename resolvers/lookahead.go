package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/selection"
	"github.com/lockstep-dev/lockstep/store"
)

// lookahead returns what a root resolver looks ahead into: the operation
// and the fields selected on the field it resolves (collected once for all
// of its look-aheads, and kept for the next request of the same query).
// The fields are shared: read them, never change them.
func lookahead(ctx context.Context) (*graphql.OperationContext, []graphql.CollectedField) {
	oc := graphql.GetOperationContext(ctx)
	return oc, rootSelections.Get(oc, graphql.GetFieldContext(ctx).Field, func() []graphql.CollectedField {
		return graphql.CollectFieldsCtx(ctx, nil)
	})
}

// The look-aheads of root fields, by field of a parsed query: working
// them out again for every request of the same query (collecting fields
// at each level) was a quarter of the API's own CPU on an account.
var (
	rootSelections     selection.Cache[[]graphql.CollectedField]
	accountViews       selection.Cache[store.AccountView]
	memberAccountViews selection.Cache[store.AccountFields]
)

// cachedAccountView is accountView, kept per query (see rootSelections).
func cachedAccountView(ctx context.Context, oc *graphql.OperationContext, fields []graphql.CollectedField) store.AccountView {
	return accountViews.Get(oc, graphql.GetFieldContext(ctx).Field, func() store.AccountView { return accountView(ctx, fields) })
}

// cachedMemberAccountFields is memberAccountFields, kept per query.
func cachedMemberAccountFields(ctx context.Context, oc *graphql.OperationContext, fields []graphql.CollectedField) store.AccountFields {
	return memberAccountViews.Get(oc, graphql.GetFieldContext(ctx).Field, func() store.AccountFields { return memberAccountFields(oc, fields) })
}

// selectedPage looks ahead into the current field's selection, fields
// (from lookahead): when the child field name is selected exactly once,
// without `after`, with a valid `first` (def when not given), it returns
// that page size. Root resolvers use it to fetch an object and its first
// page of a list in one statement and prime the list's loader with it.
func selectedPage(oc *graphql.OperationContext, fields []graphql.CollectedField, name string, def, max int) (int, bool) {
	n, found := 0, 0
	for _, f := range fields {
		if f.Name != name {
			continue
		}
		found++
		args := f.ArgumentMap(oc.Variables)
		if a, ok := args["after"]; ok && a != nil && a != "" {
			return 0, false
		}
		n = def
		if v, ok := args["first"]; ok && v != nil {
			if n, ok = toInt(v); !ok {
				return 0, false
			}
		}
	}
	if found != 1 || n < 1 || n > max {
		return 0, false // the field's own resolver reports a bad page size
	}
	return n, true
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), x == float64(int(x))
	case json.Number:
		i, err := x.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// memberAccountFields looks ahead from Query.network into
// members { edges { node { account { ... } } } } and returns the account
// fields selected there (with fragments merged, and the union over
// aliases), from the network's own selection, fields. Anything it does
// not know under those types asks for every field, so an unforeseen
// selection is never served a partial account.
func memberAccountFields(oc *graphql.OperationContext, fields []graphql.CollectedField) store.AccountFields {
	var f store.AccountFields
	// children collects the sub-fields named name of fields, as the
	// object type typ; ok is false when an unknown field is met.
	children := func(fields []graphql.CollectedField, typ string, known map[string]bool, name string) (out []graphql.CollectedField, ok bool) {
		for _, p := range fields {
			for _, c := range graphql.CollectFields(oc, p.Selections, []string{typ}) {
				if !known[c.Name] {
					return nil, false
				}
				if c.Name == name {
					out = append(out, c)
				}
			}
		}
		return out, true
	}
	var members []graphql.CollectedField
	for _, c := range fields {
		if c.Name == "members" {
			members = append(members, c)
		}
	}
	edges, ok := children(members, "MemberConnection", map[string]bool{"edges": true, "pageInfo": true, "totalCount": true, "__typename": true}, "edges")
	if !ok {
		return store.AllAccountFields
	}
	nodes, ok := children(edges, "MemberEdge", map[string]bool{"node": true, "cursor": true, "__typename": true}, "node")
	if !ok {
		return store.AllAccountFields
	}
	accounts, ok := children(nodes, "Member", map[string]bool{"account": true, "score": true, "role": true, "__typename": true}, "account")
	if !ok {
		return store.AllAccountFields
	}
	f, ok = accountFields(oc, accounts)
	if !ok {
		return store.AllAccountFields
	}
	return f
}

// accountFields returns the account properties selected under fields (of
// type Account), merged; ok is false when it meets a field it does not
// know, and then the caller reads every property.
func accountFields(oc *graphql.OperationContext, fields []graphql.CollectedField) (f store.AccountFields, ok bool) {
	for _, a := range fields {
		for _, c := range graphql.CollectFields(oc, a.Selections, []string{"Account"}) {
			switch c.Name {
			case "id", "__typename":
			case "handle":
				f.Handle = true
			case "createdAt":
				f.CreatedAt = true
			case "country":
				f.Country = true
			case "verified":
				f.Verified = true
			case "status":
				f.Status = true
			case "allowlisted", "allowlist":
				f.Allowlist = true
			case "lookupCount":
				f.LookupCount = true
			case "ips", "devices", "lookups", "memberships", "sweep":
				// loaded by id through their own resolvers
			default:
				return f, false
			}
		}
	}
	return f, true
}

// accountView looks ahead from Query.account into the account's own
// fields and into ips { ip { ... } ... } and devices { device { ... } ... }
// and returns what the root read must fetch (store.AccountWithUsageView):
// with fragments merged and the union over aliases. A part holding a field
// it does not know is read whole. fields is the account's own selection
// (from lookahead).
func accountView(ctx context.Context, fields []graphql.CollectedField) store.AccountView {
	oc := graphql.GetOperationContext(ctx)
	var v store.AccountView
	var ok bool
	if v.Account, ok = accountFields(oc, []graphql.CollectedField{graphql.GetFieldContext(ctx).Field}); !ok {
		v.Account = store.AllAccountFields
	}
	var ips, devs []graphql.CollectedField
	for _, c := range fields {
		switch c.Name {
		case "ips":
			ips = append(ips, c)
		case "devices":
			devs = append(devs, c)
		}
	}
	v.IP, v.IPUsage = ipView(oc, ips)
	v.Device, v.DeviceUsage = deviceView(oc, devs)
	return v
}

// ipView returns the IP and USED_IP properties selected under the lists
// (of type [IPUsage]), or all of them when it meets a field it does not
// know.
func ipView(oc *graphql.OperationContext, lists []graphql.CollectedField) (f store.IPFields, u store.UsageFields) {
	u, ok := usageView(oc, lists, "IPUsage", "ip", "IP", func(name string) bool {
		switch name {
		case "addr", "__typename", "accounts": // accounts: loaded by address
		case "asn":
			f.Asn = true
		case "asnOrg":
			f.AsnOrg = true
		case "country":
			f.Country = true
		case "kind":
			f.Kind = true
		case "accountCount":
			f.AccountCount = true
		default:
			return false
		}
		return true
	})
	if !ok {
		return store.AllAccountView.IP, store.AllAccountView.IPUsage
	}
	return f, u
}

// deviceView is ipView for devices ([DeviceUsage]).
func deviceView(oc *graphql.OperationContext, lists []graphql.CollectedField) (f store.DeviceFields, u store.UsageFields) {
	u, ok := usageView(oc, lists, "DeviceUsage", "device", "Device", func(name string) bool {
		switch name {
		case "id", "__typename", "accounts": // accounts: loaded by id
		case "os":
			f.Os = true
		case "client":
			f.Client = true
		case "accountCount":
			f.AccountCount = true
		default:
			return false
		}
		return true
	})
	if !ok {
		return store.AllAccountView.Device, store.AllAccountView.DeviceUsage
	}
	return f, u
}

// usageView walks the selections under lists of usages (usageType, such as
// IPUsage) and returns the relationship properties they select; each field
// selected on the used node (nodeField, of nodeType) goes to node, which
// records it and answers false for a field it does not know. ok is false
// when any field is unknown: the caller then reads everything.
func usageView(oc *graphql.OperationContext, lists []graphql.CollectedField, usageType, nodeField, nodeType string, node func(name string) bool) (u store.UsageFields, ok bool) {
	for _, l := range lists {
		for _, c := range graphql.CollectFields(oc, l.Selections, []string{usageType}) {
			switch c.Name {
			case "count", "__typename":
			case "first":
				u.First = true
			case "last":
				u.Last = true
			case nodeField:
				for _, d := range graphql.CollectFields(oc, c.Selections, []string{nodeType}) {
					if !node(d.Name) {
						return u, false
					}
				}
			default:
				return u, false
			}
		}
	}
	return u, true
}
