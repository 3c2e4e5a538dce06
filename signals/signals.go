// Package signals names the signals detection measures on every network.
// It is the one list: scoring measures them, store keeps their
// contributions where the network filter can read them, and the GraphQL
// enum SignalName is bound to these constants (gqlgen.yml), so a signal
// cannot be added, renamed or described in one place and not the others
// (graph's schema test holds the enum and its descriptions to this list).
package signals

// Name is a signal's name as stored and configured (scoring config
// weights, the JSON detection writes); the API shows it as an enum value,
// the same name in upper snake case (sharedInfra is SHARED_INFRA).
type Name string

// The signals, in the order detection reports them.
const (
	Sweep       Name = "sweep"
	SharedBlock Name = "sharedBlocks"
	Lockstep    Name = "lockstep"
	DenseBlock  Name = "denseBlock"
	Datacenter  Name = "datacenter"
	NewAccounts Name = "newAccounts"
	HitRatio    Name = "hitRatio"
	Volume      Name = "volume"
	Velocity    Name = "velocity"
	SharedInfra Name = "sharedInfra"
	Countries   Name = "countrySpread"
	WorkHours   Name = "workHours"
	Seeds       Name = "seedProximity"
)

// All lists every signal in report order.
var All = []Name{Sweep, SharedBlock, Lockstep, DenseBlock, Datacenter, NewAccounts, HitRatio,
	Volume, Velocity, SharedInfra, Countries, WorkHours, Seeds}

// Known reports whether n names a signal.
func (n Name) Known() bool {
	for _, s := range All {
		if s == n {
			return true
		}
	}
	return false
}

// Title is the name analysts read in evidence and the UI.
func (n Name) Title() string {
	switch n {
	case Sweep:
		return "Number sweep"
	case SharedBlock:
		return "Shared number blocks"
	case Lockstep:
		return "Lockstep lookups"
	case DenseBlock:
		return "Dense block"
	case Datacenter:
		return "Datacenter/VPN/Tor logins"
	case NewAccounts:
		return "Accounts created together"
	case HitRatio:
		return "Low hit ratio"
	case Volume:
		return "Lookup volume"
	case Velocity:
		return "Lookup velocity"
	case SharedInfra:
		return "Shared infrastructure"
	case Countries:
		return "Country spread"
	case WorkHours:
		return "Working hours"
	case Seeds:
		return "Near confirmed accounts"
	}
	return string(n)
}
