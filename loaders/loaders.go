// Package loaders batches the API's store reads per request with
// dataloaders, so a page of networks with members, their accounts and the
// accounts' IPs costs a fixed number of Cypher statements however long the
// page is.
package loaders

import (
	"context"
	"net/http"
	"sync"
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

// Loaders are one request's dataloaders. Each is built on its first use:
// most requests touch one or two of the eighteen (a root lookup such as
// account(id) touches none but to prime them), and building all of them
// for every request cost more than some whole fields.
type Loaders struct {
	st  *store.Store
	opt dataloadgen.Option

	account     lazy[string, store.Account]
	network     lazy[string, store.Network]
	successor   lazy[string, *store.Network]
	lineage     lazy[string, []string]
	run         lazy[string, store.DetectionRun]
	reviews     lazy[string, []store.Review]
	memberships lazy[string, []store.Membership]
	members     lazy[PageKey, []store.Member]
	ips         lazy[PageKey, []store.IPUsage]
	devices     lazy[PageKey, []store.DeviceUsage]
	lookups     lazy[PageKey, []store.Lookup]
	ipAccounts  lazy[PageKey, []store.AccountUsage]
	devAccounts lazy[PageKey, []store.AccountUsage]
	matched     lazy[string, []store.Account]
	sweep       lazy[string, []store.SweepBlock]
	lookupCount lazy[string, int]
	ipCount     lazy[string, int]
	deviceCount lazy[string, int]
}

// lazy is a loader built once, by the first caller that needs it
// (resolvers of one request run concurrently).
type lazy[K comparable, V any] struct {
	once sync.Once
	l    *dataloadgen.Loader[K, V]
}

func (z *lazy[K, V]) get(mk func() *dataloadgen.Loader[K, V]) *dataloadgen.Loader[K, V] {
	z.once.Do(func() { z.l = mk() })
	return z.l
}

// New returns fresh loaders over st. Missing ids load as
// dataloadgen.ErrNotFound for single values and as empty lists for lists.
func New(st *store.Store) *Loaders {
	return &Loaders{st: st, opt: dataloadgen.WithWait(Wait)}
}

// Account loads accounts by id.
func (l *Loaders) Account() *dataloadgen.Loader[string, store.Account] {
	return l.account.get(func() *dataloadgen.Loader[string, store.Account] {
		return dataloadgen.NewMappedLoader(l.st.AccountsByIDs, l.opt)
	})
}

// Network loads networks by id.
func (l *Loaders) Network() *dataloadgen.Loader[string, store.Network] {
	return l.network.get(func() *dataloadgen.Loader[string, store.Network] {
		return dataloadgen.NewMappedLoader(l.st.NetworksByIDs, l.opt)
	})
}

// Successor loads the successor of networks by id (nil: none).
func (l *Loaders) Successor() *dataloadgen.Loader[string, *store.Network] {
	return l.successor.get(func() *dataloadgen.Loader[string, *store.Network] {
		return dataloadgen.NewLoader(optional(l.st.SuccessorsByIDs), l.opt)
	})
}

// Lineage loads the predecessor chains of networks by id.
func (l *Loaders) Lineage() *dataloadgen.Loader[string, []string] {
	return l.lineage.get(func() *dataloadgen.Loader[string, []string] {
		return dataloadgen.NewLoader(lists(l.st.LineagesByIDs), l.opt)
	})
}

// Run loads detection runs by id.
func (l *Loaders) Run() *dataloadgen.Loader[string, store.DetectionRun] {
	return l.run.get(func() *dataloadgen.Loader[string, store.DetectionRun] {
		return dataloadgen.NewMappedLoader(l.st.RunsByIDs, l.opt)
	})
}

// Reviews loads the reviews of networks by id.
func (l *Loaders) Reviews() *dataloadgen.Loader[string, []store.Review] {
	return l.reviews.get(func() *dataloadgen.Loader[string, []store.Review] {
		return dataloadgen.NewLoader(lists(l.st.ReviewsByNetworks), l.opt)
	})
}

// Memberships loads the memberships of accounts by id.
func (l *Loaders) Memberships() *dataloadgen.Loader[string, []store.Membership] {
	return l.memberships.get(func() *dataloadgen.Loader[string, []store.Membership] {
		return dataloadgen.NewLoader(lists(l.st.MembershipsByAccounts), l.opt)
	})
}

// Members loads first pages of networks' members.
func (l *Loaders) Members() *dataloadgen.Loader[PageKey, []store.Member] {
	return l.members.get(func() *dataloadgen.Loader[PageKey, []store.Member] {
		return dataloadgen.NewLoader(pages(l.st.MembersByNetworks), l.opt)
	})
}

// IPs loads first pages of accounts' IP usages.
func (l *Loaders) IPs() *dataloadgen.Loader[PageKey, []store.IPUsage] {
	return l.ips.get(func() *dataloadgen.Loader[PageKey, []store.IPUsage] {
		return dataloadgen.NewLoader(pages(l.st.IPUsagesByAccounts), l.opt)
	})
}

// Devices loads first pages of accounts' device usages.
func (l *Loaders) Devices() *dataloadgen.Loader[PageKey, []store.DeviceUsage] {
	return l.devices.get(func() *dataloadgen.Loader[PageKey, []store.DeviceUsage] {
		return dataloadgen.NewLoader(pages(l.st.DeviceUsagesByAccounts), l.opt)
	})
}

// Lookups loads first pages of accounts' lookups.
func (l *Loaders) Lookups() *dataloadgen.Loader[PageKey, []store.Lookup] {
	return l.lookups.get(func() *dataloadgen.Loader[PageKey, []store.Lookup] {
		return dataloadgen.NewLoader(pages(l.st.LookupsByAccounts), l.opt)
	})
}

// IPAccounts loads first pages of the accounts of IPs by address.
func (l *Loaders) IPAccounts() *dataloadgen.Loader[PageKey, []store.AccountUsage] {
	return l.ipAccounts.get(func() *dataloadgen.Loader[PageKey, []store.AccountUsage] {
		return dataloadgen.NewLoader(pages(l.st.AccountsOfIPs), l.opt)
	})
}

// DevAccounts loads first pages of the accounts of devices by id.
func (l *Loaders) DevAccounts() *dataloadgen.Loader[PageKey, []store.AccountUsage] {
	return l.devAccounts.get(func() *dataloadgen.Loader[PageKey, []store.AccountUsage] {
		return dataloadgen.NewLoader(pages(l.st.AccountsOfDevices), l.opt)
	})
}

// Matched loads the accounts that looked up targets, by target key.
func (l *Loaders) Matched() *dataloadgen.Loader[string, []store.Account] {
	return l.matched.get(func() *dataloadgen.Loader[string, []store.Account] {
		return dataloadgen.NewLoader(lists(l.st.MatchedAccountsOf), l.opt)
	})
}

// Sweep loads accounts' sweep summaries by id.
func (l *Loaders) Sweep() *dataloadgen.Loader[string, []store.SweepBlock] {
	return l.sweep.get(func() *dataloadgen.Loader[string, []store.SweepBlock] {
		return dataloadgen.NewLoader(lists(l.st.SweepsByAccounts), l.opt)
	})
}

// LookupCount loads how many targets accounts looked up, by id.
func (l *Loaders) LookupCount() *dataloadgen.Loader[string, int] {
	return l.lookupCount.get(func() *dataloadgen.Loader[string, int] {
		return dataloadgen.NewLoader(counts(l.st.LookupCountsByAccounts), l.opt)
	})
}

// IPAccountCount loads how many accounts used IPs, by address.
func (l *Loaders) IPAccountCount() *dataloadgen.Loader[string, int] {
	return l.ipCount.get(func() *dataloadgen.Loader[string, int] {
		return dataloadgen.NewLoader(counts(l.st.AccountCountsOfIPs), l.opt)
	})
}

// DeviceAccountCount loads how many accounts used devices, by id.
func (l *Loaders) DeviceAccountCount() *dataloadgen.Loader[string, int] {
	return l.deviceCount.get(func() *dataloadgen.Loader[string, int] {
		return dataloadgen.NewLoader(counts(l.st.AccountCountsOfDevices), l.opt)
	})
}

// counts adapts a batched count: an id without a row counts 0.
func counts(fetch func(context.Context, []string) (map[string]int, error)) func(context.Context, []string) ([]int, []error) {
	return func(ctx context.Context, ids []string) ([]int, []error) {
		m, err := fetch(ctx, ids)
		out := make([]int, len(ids))
		for i, id := range ids {
			out[i] = m[id]
		}
		return out, fill(len(ids), err)
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
