// Package loaders batches the API's store reads per request with
// dataloaders, so a page of networks with members, their accounts and the
// accounts' IPs costs a fixed number of Cypher statements however long the
// page is.
package loaders

import (
	"context"
	"net/http"
	"time"

	"github.com/lockstep-dev/lockstep/store"
	"github.com/vikstrous/dataloadgen"
)

// Wait is how long a loader gathers keys before it queries. gqlgen
// resolves the fields of a list concurrently, so siblings arrive within
// microseconds; the wait is paid once per level of nesting, so it is
// kept well under a query's own cost (BENCHMARKS.md, API section).
var Wait = time.Millisecond

// PageKey asks for the first First items of the list of ID.
type PageKey struct {
	ID    string
	First int
}

// Loaders are one request's dataloaders.
type Loaders struct {
	Account     *dataloadgen.Loader[string, store.Account]
	Network     *dataloadgen.Loader[string, store.Network]
	Successor   *dataloadgen.Loader[string, *store.Network]
	Lineage     *dataloadgen.Loader[string, []string]
	Run         *dataloadgen.Loader[string, store.DetectionRun]
	Reviews     *dataloadgen.Loader[string, []store.Review]
	Memberships *dataloadgen.Loader[string, []store.Membership]
	Members     *dataloadgen.Loader[PageKey, []store.Member]
	IPs         *dataloadgen.Loader[PageKey, []store.IPUsage]
	Devices     *dataloadgen.Loader[PageKey, []store.DeviceUsage]
	Lookups     *dataloadgen.Loader[PageKey, []store.Lookup]
	IPAccounts  *dataloadgen.Loader[PageKey, []store.AccountUsage]
	DevAccounts *dataloadgen.Loader[PageKey, []store.AccountUsage]
	Matched     *dataloadgen.Loader[string, []store.Account]
	Sweep       *dataloadgen.Loader[string, []store.SweepBlock]
}

// New returns fresh loaders over st. Missing ids load as
// dataloadgen.ErrNotFound for single values and as empty lists for lists.
func New(st *store.Store) *Loaders {
	opt := dataloadgen.WithWait(Wait)
	return &Loaders{
		Account:     dataloadgen.NewMappedLoader(st.AccountsByIDs, opt),
		Network:     dataloadgen.NewMappedLoader(st.NetworksByIDs, opt),
		Successor:   dataloadgen.NewLoader(optional(st.SuccessorsByIDs), opt),
		Lineage:     dataloadgen.NewLoader(lists(st.LineagesByIDs), opt),
		Run:         dataloadgen.NewMappedLoader(st.RunsByIDs, opt),
		Reviews:     dataloadgen.NewLoader(lists(st.ReviewsByNetworks), opt),
		Memberships: dataloadgen.NewLoader(lists(st.MembershipsByAccounts), opt),
		Members:     dataloadgen.NewLoader(pages(st.MembersByNetworks), opt),
		IPs:         dataloadgen.NewLoader(pages(st.IPUsagesByAccounts), opt),
		Devices:     dataloadgen.NewLoader(pages(st.DeviceUsagesByAccounts), opt),
		Lookups:     dataloadgen.NewLoader(pages(st.LookupsByAccounts), opt),
		IPAccounts:  dataloadgen.NewLoader(pages(st.AccountsOfIPs), opt),
		DevAccounts: dataloadgen.NewLoader(pages(st.AccountsOfDevices), opt),
		Matched:     dataloadgen.NewLoader(lists(st.MatchedAccountsOf), opt),
		Sweep:       dataloadgen.NewLoader(lists(st.SweepsByAccounts), opt),
	}
}

// lists adapts a batched list read: an id without rows gets an empty list.
func lists[V any](fetch func(context.Context, []string) (map[string][]V, error)) func(context.Context, []string) ([][]V, []error) {
	return func(ctx context.Context, ids []string) ([][]V, []error) {
		m, err := fetch(ctx, ids)
		out := make([][]V, len(ids))
		for i, id := range ids {
			out[i] = m[id]
			if out[i] == nil {
				out[i] = []V{}
			}
		}
		return out, fill(len(ids), err)
	}
}

// optional adapts a batched read of values that may be absent (nil).
func optional[V any](fetch func(context.Context, []string) (map[string]V, error)) func(context.Context, []string) ([]*V, []error) {
	return func(ctx context.Context, ids []string) ([]*V, []error) {
		m, err := fetch(ctx, ids)
		out := make([]*V, len(ids))
		for i, id := range ids {
			if v, ok := m[id]; ok {
				out[i] = &v
			}
		}
		return out, fill(len(ids), err)
	}
}

// pages adapts a batched read of first-N lists: keys are grouped by N, one
// statement per distinct N (in practice one).
func pages[V any](fetch func(context.Context, []string, int) (map[string][]V, error)) func(context.Context, []PageKey) ([][]V, []error) {
	return func(ctx context.Context, keys []PageKey) ([][]V, []error) {
		byFirst := map[int][]string{}
		for _, k := range keys {
			byFirst[k.First] = append(byFirst[k.First], k.ID)
		}
		results := map[PageKey][]V{}
		errs := map[int]error{}
		for first, ids := range byFirst {
			m, err := fetch(ctx, ids, first)
			if err != nil {
				errs[first] = err
				continue
			}
			for id, v := range m {
				results[PageKey{id, first}] = v
			}
		}
		out := make([][]V, len(keys))
		var outErrs []error
		for i, k := range keys {
			if err := errs[k.First]; err != nil {
				if outErrs == nil {
					outErrs = make([]error, len(keys))
				}
				outErrs[i] = err
			}
			out[i] = results[k]
			if out[i] == nil {
				out[i] = []V{}
			}
		}
		return out, outErrs
	}
}

func fill(n int, err error) []error {
	if err == nil {
		return nil
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

type ctxKey struct{}

// Middleware gives every request its own loaders (a cache must not outlive
// the request: another request may have changed the data since).
func Middleware(st *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(With(r.Context(), st)))
	})
}

// With returns ctx carrying fresh loaders.
func With(ctx context.Context, st *store.Store) context.Context {
	return context.WithValue(ctx, ctxKey{}, New(st))
}

// For returns the request's loaders. It panics when the middleware is
// missing, a wiring mistake that every API test would catch.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}
