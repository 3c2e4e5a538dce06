package server

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lockstep-dev/lockstep/selection"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
)

// Wide lists of plain objects, marshalled in one pass.
//
// gqlgen v0.17.98 marshals every element of a list of objects in its own
// goroutine, with a field context, a deferred group and a closure chain per
// field, whatever the element holds. For a network's page of 100 members
// (edge, member, account: three objects per element) that was about 1.5 ms
// of CPU per response, twice what Neo4j spends reading the page
// (BENCHMARKS.md, API section).
//
// fastLists is a field middleware for a few list fields whose elements are
// plain structs: the field's resolver (and the directives on it, e.g.
// @hasRole) runs as usual, then, when every field selected under the list
// is a plain field of the model struct (no resolver, no arguments, no
// directive in the schema, nothing deferred), the list is written to JSON
// here, element by element in order, with gqlgen's own scalar marshallers.
// gqlgen takes a Marshaler returned by a field middleware as the field's
// value (graphql.ResolveField). Anything else (a field with a resolver such
// as Account.ips under a member, a value gqlgen would turn into an error,
// like a NaN score or a zero non-null time) falls back to gqlgen's own
// execution, so the response is the same byte for byte either way
// (TestFastListsSameResponse) and dataloader batching is untouched: a list
// that needs a resolver below it is never taken.
type fastLists struct {
	// lists maps the list fields handled here to the function that plans
	// and writes one.
	lists map[fieldKey]listFunc
	// plain is the set of "Type.field" that plans may write directly:
	// those of plainFields that the schema declares with no arguments and
	// no directives (checked once, in newFastLists).
	plain map[string]bool
	// implementors of each object type, as gqlgen collects fields for it
	// (the type, its interfaces and the unions holding it).
	implementors map[string][]string
	// roots maps the root fields whose whole value is written here
	// (fastroot.go) to the function that writes one.
	roots map[fieldKey]rootFunc
	// usageRoles is the role the schema's @hasRole asks for on Account.ips
	// and Account.devices; nil (root accounts left to gqlgen) when the
	// schema declares those fields in a way rootAccount does not check.
	usageRoles map[string]store.Role
	// membersRole is the role @hasRole asks for on Network.members; empty
	// (root networks left to gqlgen) when the schema declares the field
	// in a way rootNetwork does not check.
	membersRole store.Role
	// served counts the lists written here, roots the root values (tests
	// check that the fast path was taken).
	served, rootsServed atomic.Int64

	// plans caches the plan of a list field's selection; planning took
	// about as long as writing a page of IPs.
	plans selection.Cache[cachedPlan]
}

// fieldKey names a field of an object type.
type fieldKey struct{ object, field string }

type cachedPlan struct {
	plan any // *objPlan[T] of the list's element type
	ok   bool
}

// listFunc marshals a list field's value; ok is false when it cannot do it
// exactly as gqlgen would, and gqlgen does it instead.
type listFunc func(fl *fastLists, oc *graphql.OperationContext, field graphql.CollectedField, v any) (out []byte, ok bool)

// rootFunc is a listFunc for a root field's value, with the request's
// context (for the key's role).
type rootFunc func(ctx context.Context, fl *fastLists, oc *graphql.OperationContext, field graphql.CollectedField, v any) (out []byte, ok bool)

// plainFields are the fields the plans below write, by type: each is a
// struct field of the model (gqlgen binds none of them to a resolver).
var plainFields = map[string][]string{
	"MemberEdge":   {"cursor", "node"},
	"Member":       {"account", "score", "role"},
	"Account":      {"id", "handle", "createdAt", "country", "verified", "status", "allowlisted", "allowlist", "lookupCount"},
	"Allowlisting": {"by", "at", "reason"},
	"IPUsage":      {"ip", "first", "last", "count"},
	"IP":           {"addr", "asn", "asnOrg", "country", "kind", "accountCount"},
	"DeviceUsage":  {"device", "first", "last", "count"},
	"Device":       {"id", "os", "client", "accountCount"},
	// Written by rootNetwork only, under a root network.
	"Network":              {"id", "key", "runId", "size", "score", "signals", "stateLinked", "evidence"},
	"Signal":               {"name", "value", "detail"},
	"StateLinkedIndicator": {"possible", "confidence", "reasons"},
	"MemberConnection":     {"edges", "pageInfo", "totalCount"},
	"PageInfo":             {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"},
}

// newFastLists checks plainFields against the schema: a field that has
// arguments or a directive there, or is missing, is left to gqlgen. dropped
// lists those (a test requires none).
func newFastLists(schema *ast.Schema) (fl *fastLists, dropped []string) {
	fl = &fastLists{
		lists: map[fieldKey]listFunc{
			{"MemberConnection", "edges"}: listOf(planMemberEdge, func(v any) ([]store.MemberEdge, bool) { x, ok := v.([]store.MemberEdge); return x, ok }),
			{"Network", "victims"}:        listOf(planMember, func(v any) ([]store.Member, bool) { x, ok := v.([]store.Member); return x, ok }),
			{"Account", "ips"}:            listOf(planIPUsage, func(v any) ([]store.IPUsage, bool) { x, ok := v.([]store.IPUsage); return x, ok }),
			{"Account", "devices"}:        listOf(planDeviceUsage, func(v any) ([]store.DeviceUsage, bool) { x, ok := v.([]store.DeviceUsage); return x, ok }),
		},
		roots:        map[fieldKey]rootFunc{{"Query", "account"}: rootAccount, {"Query", "network"}: rootNetwork},
		plain:        map[string]bool{},
		implementors: map[string][]string{},
	}
	if roles, ok := usageRoles(schema); ok {
		fl.usageRoles = roles
	} else {
		dropped = append(dropped, "Account.ips/devices (root account)")
	}
	if role, ok := listRole(schema, "Network", "members", "first", "after"); ok {
		fl.membersRole = role
	} else {
		dropped = append(dropped, "Network.members (root network)")
	}
	for typ, fields := range plainFields {
		def := schema.Types[typ]
		if def == nil || def.Kind != ast.Object {
			dropped = append(dropped, typ)
			continue
		}
		impl := append([]string{typ}, def.Interfaces...)
		for _, u := range schema.Types {
			if u.Kind == ast.Union && slices.Contains(u.Types, typ) {
				impl = append(impl, u.Name)
			}
		}
		fl.implementors[typ] = impl
		for _, name := range fields {
			f := def.Fields.ForName(name)
			if f == nil || len(f.Arguments) > 0 || len(f.Directives) > 0 {
				dropped = append(dropped, typ+"."+name)
				continue
			}
			fl.plain[typ+"."+name] = true
		}
	}
	return fl, dropped
}

// middleware is the graphql.FieldMiddleware.
func (fl *fastLists) middleware(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || len(fc.Field.Selections) == 0 {
		return next(ctx)
	}
	key := fieldKey{fc.Object, fc.Field.Name}
	if root := fl.roots[key]; root != nil {
		res, err := next(ctx)
		if err != nil || res == nil {
			return res, err
		}
		out, ok := root(ctx, fl, graphql.GetOperationContext(ctx), fc.Field, res)
		if !ok {
			return res, nil // gqlgen marshals it
		}
		fl.rootsServed.Add(1)
		return rawJSON(out), nil
	}
	list := fl.lists[key]
	if list == nil {
		return next(ctx)
	}
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	out, ok := list(fl, graphql.GetOperationContext(ctx), fc.Field, res)
	if !ok {
		return res, nil // gqlgen marshals it
	}
	fl.served.Add(1)
	return rawJSON(out), nil
}

// usageRoles reads the role of Account.ips and Account.devices from the
// schema (listRole), for rootAccount's checks to be the schema's.
func usageRoles(schema *ast.Schema) (map[string]store.Role, bool) {
	roles := map[string]store.Role{}
	for _, name := range []string{"ips", "devices"} {
		role, ok := listRole(schema, "Account", name, "first")
		if !ok {
			return nil, false
		}
		roles[name] = role
	}
	return roles, true
}

// listRole reads the role a list field of typ asks for: the field must
// take exactly args and carry one directive, @hasRole with a literal role,
// for a root writer's checks (the role, the page arguments) to be all the
// schema asks.
func listRole(schema *ast.Schema, typ, field string, args ...string) (store.Role, bool) {
	def := schema.Types[typ]
	if def == nil {
		return "", false
	}
	f := def.Fields.ForName(field)
	if f == nil || len(f.Arguments) != len(args) || len(f.Directives) != 1 || f.Directives[0].Name != "hasRole" {
		return "", false
	}
	for i, a := range args {
		if f.Arguments[i].Name != a {
			return "", false
		}
	}
	arg := f.Directives[0].Arguments.ForName("role")
	if arg == nil || arg.Value == nil || arg.Value.Kind != ast.EnumValue {
		return "", false
	}
	return store.Role(arg.Value.Raw), true
}

// planFor returns the plan of field's selection, made by mk or cached
// (selection.Cache says when).
func (fl *fastLists) planFor(oc *graphql.OperationContext, field graphql.CollectedField, mk func() (any, bool)) (any, bool) {
	c := fl.plans.Get(oc, field, func() cachedPlan {
		p, ok := mk()
		return cachedPlan{plan: p, ok: ok}
	})
	return c.plan, c.ok
}

// rawJSON is an already marshalled value.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// listOf makes the listFunc of a list of T from T's plan.
func listOf[T any](plan func(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[T], bool), cast func(any) ([]T, bool)) listFunc {
	return func(fl *fastLists, oc *graphql.OperationContext, field graphql.CollectedField, v any) ([]byte, bool) {
		items, ok := cast(v)
		if !ok || items == nil {
			return nil, false
		}
		pa, ok := fl.planFor(oc, field, func() (any, bool) { return plan(fl, oc, field.Selections) })
		if !ok {
			return nil, false
		}
		p := pa.(*objPlan[T])
		var b bytes.Buffer
		b.Grow(len(items)*int(max(p.itemBytes.Load(), 64)) + 2)
		if !writeList(&b, p, items) {
			return nil, false
		}
		if len(items) > 0 {
			p.itemBytes.Store(int64(b.Len()/len(items) + 8))
		}
		return b.Bytes(), true
	}
}

// writeList writes items as a JSON list with p.
func writeList[T any](b *bytes.Buffer, p *objPlan[T], items []T) bool {
	b.WriteByte('[')
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		if !p.write(b, &items[i]) {
			return false
		}
	}
	b.WriteByte(']')
	return true
}

// fieldFunc writes one field's value; false when gqlgen would not write a
// plain value there (it would report an error instead).
type fieldFunc[T any] func(b *bytes.Buffer, v *T) bool

// objPlan writes the fields selected on one object type.
type objPlan[T any] struct {
	keys []string // `"alias":`, with a leading comma after the first
	fns  []fieldFunc[T]
	// itemBytes is about how many bytes an item took in the last list
	// written with this plan: the next list's buffer is sized from it
	// rather than grown (and copied) as it fills.
	itemBytes atomic.Int64
}

func (p *objPlan[T]) write(b *bytes.Buffer, v *T) bool {
	b.WriteByte('{')
	for i, f := range p.fns {
		b.WriteString(p.keys[i])
		if !f(b, v) {
			return false
		}
	}
	b.WriteByte('}')
	return true
}

// plan collects sel as the object type typ, as gqlgen does, and maps each
// field with field; false when one is not plain (nor one of checked, which
// the caller checks itself), is deferred or carries a directive other than
// @skip and @include.
func plan[T any](fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet, typ string, field func(f graphql.CollectedField) (fieldFunc[T], bool), checked ...string) (*objPlan[T], bool) {
	impl, ok := fl.implementors[typ]
	if !ok {
		return nil, false
	}
	fields := graphql.CollectFields(oc, sel, impl)
	p := &objPlan[T]{keys: make([]string, len(fields)), fns: make([]fieldFunc[T], len(fields))}
	var kb bytes.Buffer
	for i, f := range fields {
		if len(f.Deferrables) > 0 {
			return nil, false
		}
		for _, d := range f.Directives {
			if d.Name != "skip" && d.Name != "include" {
				return nil, false
			}
		}
		if f.Name == "__typename" {
			p.fns[i] = literal[T](typ)
		} else {
			if !fl.plain[typ+"."+f.Name] && !slices.Contains(checked, f.Name) {
				return nil, false
			}
			fn, ok := field(f)
			if !ok {
				return nil, false
			}
			p.fns[i] = fn
		}
		kb.Reset()
		if i > 0 {
			kb.WriteByte(',')
		}
		graphql.MarshalString(f.Alias).MarshalGQL(&kb)
		kb.WriteByte(':')
		p.keys[i] = kb.String()
	}
	return p, true
}

// Scalar writers. They write what gqlgen's marshallers write
// (graphql.MarshalString, MarshalID, MarshalInt, MarshalBoolean,
// MarshalFloatContext) without the closure each of those allocates per
// value (FuzzScalarWriters checks them against gqlgen's).

func literal[T any](s string) fieldFunc[T] {
	return func(b *bytes.Buffer, _ *T) bool { writeString(b, s); return true }
}

func str[T any](get func(*T) string) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool { writeString(b, get(v)); return true }
}

// id is an ID: gqlgen writes it as a string.
func id[T any](get func(*T) string) fieldFunc[T] { return str(get) }

func optStr[T any](get func(*T) *string) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool {
		if s := get(v); s != nil {
			writeString(b, *s)
		} else {
			b.WriteString("null")
		}
		return true
	}
}

func integer[T any](get func(*T) int) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool { writeInt(b, get(v)); return true }
}

func optInt[T any](get func(*T) *int) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool {
		if n := get(v); n != nil {
			writeInt(b, *n)
		} else {
			b.WriteString("null")
		}
		return true
	}
}

func boolean[T any](get func(*T) bool) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool { b.WriteString(strconv.FormatBool(get(v))); return true }
}

// float is a non-null Float: gqlgen reports NaN and infinities as errors.
func float[T any](get func(*T) float64) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool { return writeFloat(b, get(v)) }
}

// writeString writes s quoted as graphql.MarshalString does: only control
// characters, backslash and double quote are escaped; other bytes, valid
// UTF-8 or not, are copied.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789ABCDEF" // upper case, as gqlgen writes
	b.WriteByte('"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func writeInt(b *bytes.Buffer, n int) {
	var buf [24]byte
	b.Write(strconv.AppendInt(buf[:0], int64(n), 10))
}

// writeFloat writes f as graphql.MarshalFloatContext does (fmt's %g, which
// is strconv's shortest 'g'); false for NaN and infinities, which gqlgen
// reports as errors.
func writeFloat(b *bytes.Buffer, f float64) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	var buf [32]byte
	b.Write(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
	return true
}

// optTime is a nullable Time (gqlgen writes a zero time as null).
func optTime[T any](get func(*T) *time.Time) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool {
		if t := get(v); t != nil {
			graphql.MarshalTime(*t).MarshalGQL(b)
		} else {
			graphql.Null.MarshalGQL(b)
		}
		return true
	}
}

// nonNullTime is a Time!: gqlgen reports a zero time as an error.
func nonNullTime[T any](get func(*T) time.Time) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool {
		t := get(v)
		if t.IsZero() {
			return false
		}
		graphql.MarshalTime(t).MarshalGQL(b)
		return true
	}
}

// object writes a non-null object field with its own plan.
func object[T, U any](p *objPlan[U], get func(*T) *U) fieldFunc[T] {
	return func(b *bytes.Buffer, v *T) bool { return p.write(b, get(v)) }
}

// The plans, one per type.

func planMemberEdge(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.MemberEdge], bool) {
	return plan(fl, oc, sel, "MemberEdge", func(f graphql.CollectedField) (fieldFunc[store.MemberEdge], bool) {
		switch f.Name {
		case "cursor":
			return str(func(e *store.MemberEdge) string { return e.Cursor() }), true
		case "node":
			p, ok := planMember(fl, oc, f.Selections)
			return object(p, func(e *store.MemberEdge) *store.Member { return &e.Node }), ok
		}
		return nil, false
	})
}

func planMember(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.Member], bool) {
	return plan(fl, oc, sel, "Member", func(f graphql.CollectedField) (fieldFunc[store.Member], bool) {
		switch f.Name {
		case "account":
			p, ok := planAccount(fl, oc, f.Selections)
			return object(p, func(m *store.Member) *store.Account { return &m.Account }), ok
		case "score":
			return float(func(m *store.Member) float64 { return m.Score }), true
		case "role":
			return optStr(func(m *store.Member) *string { return m.Role }), true
		}
		return nil, false
	})
}

func planAccount(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.Account], bool) {
	return plan(fl, oc, sel, "Account", func(f graphql.CollectedField) (fieldFunc[store.Account], bool) { return accountField(fl, oc, f) })
}

// accountField writes a plain Account field.
func accountField(fl *fastLists, oc *graphql.OperationContext, f graphql.CollectedField) (fieldFunc[store.Account], bool) {
	switch f.Name {
	case "id":
		return id(func(a *store.Account) string { return a.ID }), true
	case "handle":
		return optStr(func(a *store.Account) *string { return a.Handle }), true
	case "createdAt":
		return optTime(func(a *store.Account) *time.Time { return a.CreatedAt }), true
	case "country":
		return optStr(func(a *store.Account) *string { return a.Country }), true
	case "verified":
		return boolean(func(a *store.Account) bool { return a.Verified }), true
	case "status":
		return optStr(func(a *store.Account) *string { return a.Status }), true
	case "allowlisted":
		return boolean(func(a *store.Account) bool { return a.Allowlisted }), true
	case "lookupCount":
		return integer(func(a *store.Account) int { return a.LookupCount }), true
	case "allowlist":
		p, ok := plan(fl, oc, f.Selections, "Allowlisting", func(f graphql.CollectedField) (fieldFunc[store.Allowlisting], bool) {
			switch f.Name {
			case "by":
				return str(func(l *store.Allowlisting) string { return l.By }), true
			case "at":
				return nonNullTime(func(l *store.Allowlisting) time.Time { return l.At }), true
			case "reason":
				return str(func(l *store.Allowlisting) string { return l.Reason }), true
			}
			return nil, false
		})
		return func(b *bytes.Buffer, a *store.Account) bool {
			if a.Allowlist == nil {
				graphql.Null.MarshalGQL(b)
				return true
			}
			return p.write(b, a.Allowlist)
		}, ok
	}
	return nil, false
}

func planIPUsage(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.IPUsage], bool) {
	return plan(fl, oc, sel, "IPUsage", func(f graphql.CollectedField) (fieldFunc[store.IPUsage], bool) {
		switch f.Name {
		case "ip":
			p, ok := plan(fl, oc, f.Selections, "IP", func(f graphql.CollectedField) (fieldFunc[store.IP], bool) {
				switch f.Name {
				case "addr":
					return id(func(ip *store.IP) string { return ip.Addr }), true
				case "asn":
					return optInt(func(ip *store.IP) *int { return ip.Asn }), true
				case "asnOrg":
					return optStr(func(ip *store.IP) *string { return ip.AsnOrg }), true
				case "country":
					return optStr(func(ip *store.IP) *string { return ip.Country }), true
				case "kind":
					return optStr(func(ip *store.IP) *string { return ip.Kind }), true
				case "accountCount":
					return integer(func(ip *store.IP) int { return ip.AccountCount }), true
				}
				return nil, false
			})
			return object(p, func(u *store.IPUsage) *store.IP { return &u.IP }), ok
		case "first":
			return optTime(func(u *store.IPUsage) *time.Time { return u.First }), true
		case "last":
			return optTime(func(u *store.IPUsage) *time.Time { return u.Last }), true
		case "count":
			return integer(func(u *store.IPUsage) int { return u.Count }), true
		}
		return nil, false
	})
}

func planDeviceUsage(fl *fastLists, oc *graphql.OperationContext, sel ast.SelectionSet) (*objPlan[store.DeviceUsage], bool) {
	return plan(fl, oc, sel, "DeviceUsage", func(f graphql.CollectedField) (fieldFunc[store.DeviceUsage], bool) {
		switch f.Name {
		case "device":
			p, ok := plan(fl, oc, f.Selections, "Device", func(f graphql.CollectedField) (fieldFunc[store.Device], bool) {
				switch f.Name {
				case "id":
					return id(func(d *store.Device) string { return d.ID }), true
				case "os":
					return optStr(func(d *store.Device) *string { return d.Os }), true
				case "client":
					return optStr(func(d *store.Device) *string { return d.Client }), true
				case "accountCount":
					return integer(func(d *store.Device) int { return d.AccountCount }), true
				}
				return nil, false
			})
			return object(p, func(u *store.DeviceUsage) *store.Device { return &u.Device }), ok
		case "first":
			return optTime(func(u *store.DeviceUsage) *time.Time { return u.First }), true
		case "last":
			return optTime(func(u *store.DeviceUsage) *time.Time { return u.Last }), true
		case "count":
			return integer(func(u *store.DeviceUsage) int { return u.Count }), true
		}
		return nil, false
	})
}
