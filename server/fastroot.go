package server

import (
	"bytes"
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
)

// Query.account written in one pass.
//
// Query.account reads the account with its first IPs and devices in one
// statement (resolvers: queryResolver.Account) and the two lists are fast
// lists, yet gqlgen still executed the Account object around them: a field
// context and middleware call per field, and, since ips and devices have
// resolvers, a goroutine and a wait group to run them concurrently. In the
// API load benchmark that was about a tenth of the server's Go CPU per
// account(id) request (BENCHMARKS.md, session 6).
//
// rootAccount writes the whole object instead when every selected field is
// a plain Account field or ips / devices whose page was read with the
// account: the page size asked for (with this request's variables) is the
// one read, and the key's role passes the @hasRole directive the schema
// puts on the list (read from the schema in newFastLists, not assumed).
// Anything else, and an account that is null, goes to gqlgen as before,
// so the response is the same byte for byte (TestFastListsSameResponse).

// usageField is an ips or devices field under a root account: whether it
// can be written from the page read with the account depends on the
// request's variables, so it is checked per request, not planned.
type usageField struct {
	field   graphql.CollectedField
	devices bool
}

// accountRootPlan writes a root account.
type accountRootPlan struct {
	obj   *objPlan[store.Account]
	usage []usageField
}

// rootAccount is the rootFunc of Query.account.
func rootAccount(ctx context.Context, fl *fastLists, oc *graphql.OperationContext, field graphql.CollectedField, v any) ([]byte, bool) {
	a, ok := v.(*store.Account)
	if !ok || a == nil || fl.usageRoles == nil {
		return nil, false
	}
	pa, ok := fl.planFor(oc, field, func() (any, bool) { return planAccountRoot(fl, oc, field.Selections) })
	if !ok {
		return nil, false
	}
	p := pa.(*accountRootPlan)
	if len(p.usage) > 0 {
		pr, ok := auth.FromContext(ctx)
		if !ok || a.FirstUsage == nil {
			return nil, false
		}
		for _, u := range p.usage {
			name, read, items := "ips", a.FirstUsage.IPsFirst, a.FirstUsage.IPs != nil
			if u.devices {
				name, read, items = "devices", a.FirstUsage.DevicesFirst, a.FirstUsage.Devices != nil
			}
			// read is 0 when the resolver did not read the page (a bad
			// page size among them): its own resolver then answers.
			if !pr.Allows(fl.usageRoles[name]) || !items || read < 1 || firstArg(oc, u.field) != read {
				return nil, false
			}
		}
	}
	var b bytes.Buffer
	b.Grow(512)
	if !p.obj.write(&b, a) {
		return nil, false
	}
	fl.served.Add(int64(len(p.usage))) // its lists too
	return b.Bytes(), true
}

// firstArg is the value of a list field's first argument in this request
// (the schema's default when it is left out), or -1 when it is null or not
// an integer: the field's resolver then decides.
func firstArg(oc *graphql.OperationContext, f graphql.CollectedField) int {
	return pageSize(f.ArgumentMap(oc.Variables)["first"])
}

// planAccountRoot plans a root account's selection: the plain fields as
// planAccount writes them, and ips and devices from the page read with the
// account.
func planAccountRoot(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (any, bool) {
	rp := &accountRootPlan{}
	obj, ok := plan(fl, oc, sel, "Account", func(f graphql.CollectedField) (fieldFunc[store.Account], bool) {
		switch f.Name {
		case "ips":
			p, ok := planIPUsage(fl, oc, f.Selections)
			rp.usage = append(rp.usage, usageField{field: f})
			return func(b *bytes.Buffer, a *store.Account) bool { return writeList(b, p, a.FirstUsage.IPs) }, ok
		case "devices":
			p, ok := planDeviceUsage(fl, oc, f.Selections)
			rp.usage = append(rp.usage, usageField{field: f, devices: true})
			return func(b *bytes.Buffer, a *store.Account) bool { return writeList(b, p, a.FirstUsage.Devices) }, ok
		}
		return accountField(fl, oc, f)
	}, "ips", "devices")
	rp.obj = obj
	return rp, ok
}
