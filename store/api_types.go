package store

import (
	"time"

	"github.com/lockstep-dev/lockstep/signals"
)

// The types below are what the API's store queries return. gqlgen binds the
// GraphQL types of the same names to them (autobind in gqlgen.yml), so a
// field here is served as is and a schema field without a Go field gets a
// resolver. Counts that cost a query of their own (an account's lookups,
// an address's accounts) are such resolver fields, loaded in batches per
// request (package loaders), so a read that does not show them never
// counts them.

// Role is an API key's role. The values are the GraphQL enum names.
type Role string

// Roles, lowest first.
const (
	RoleViewer  Role = "VIEWER"
	RoleAnalyst Role = "ANALYST"
	RoleAdmin   Role = "ADMIN"
)

// Level orders roles: a key may do what any role of lower or equal level may.
// It returns 0 for an unknown role, which nothing allows.
func (r Role) Level() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleAnalyst:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// ParseRole accepts a role name in any case ("analyst", "ANALYST").
func ParseRole(s string) (Role, bool) {
	r := Role(upper(s))
	return r, r.Level() > 0
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Verdict is an analyst's decision on a network.
type Verdict string

// Verdicts.
const (
	VerdictConfirm  Verdict = "CONFIRM"
	VerdictDismiss  Verdict = "DISMISS"
	VerdictEscalate Verdict = "ESCALATE"
)

// ReviewStatus is where a network stands in review; it is stored on the
// Network node as reviewStatus so the networks query can filter on it.
type ReviewStatus string

// Review statuses.
const (
	ReviewUnreviewed ReviewStatus = "UNREVIEWED"
	ReviewConfirmed  ReviewStatus = "CONFIRMED"
	ReviewDismissed  ReviewStatus = "DISMISSED"
	ReviewEscalated  ReviewStatus = "ESCALATED"
)

// Status returns the review status a verdict leads to.
func (v Verdict) Status() ReviewStatus {
	switch v {
	case VerdictConfirm:
		return ReviewConfirmed
	case VerdictDismiss:
		return ReviewDismissed
	case VerdictEscalate:
		return ReviewEscalated
	}
	return ReviewUnreviewed
}

// RunStatus is the state of a detection run, derived from its properties.
type RunStatus string

// Run states.
const (
	RunRunning  RunStatus = "RUNNING"
	RunFinished RunStatus = "FINISHED"
	RunFailed   RunStatus = "FAILED"
)

// NodeKind is the kind of a neighborhood node.
type NodeKind string

// Node kinds.
const (
	NodeAccount NodeKind = "ACCOUNT"
	NodeIP      NodeKind = "IP"
	NodeDevice  NodeKind = "DEVICE"
	NodeTarget  NodeKind = "TARGET"
)

// Direction is a sort direction.
type Direction string

// Directions.
const (
	Asc  Direction = "ASC"
	Desc Direction = "DESC"
)

// NetworkOrderField is what networks are sorted by.
type NetworkOrderField string

// Network sort fields.
const (
	OrderScore NetworkOrderField = "SCORE"
	OrderSize  NetworkOrderField = "SIZE"
	OrderID    NetworkOrderField = "ID"
)

// Account is an ingested platform account.
type Account struct {
	ID          string
	Handle      *string
	CreatedAt   *time.Time
	Country     *string
	Verified    bool
	Status      *string
	Allowlisted bool
	Allowlist   *Allowlisting
	LastSeenAt  *time.Time
}

// Allowlisting records who kept an account off suspension lists and why.
type Allowlisting struct {
	By     string
	At     time.Time
	Reason string
}

// IP is an address seen in activity.
type IP struct {
	Addr    string
	Asn     *int
	AsnOrg  *string
	Country *string
	Kind    *string
}

// Device is a device seen in activity.
type Device struct {
	ID     string
	Os     *string
	Client *string
}

// Target is a looked-up number or address: keyed hash and masked form only.
// Block and offset are deliberately absent: together they are the number.
type Target struct {
	Key    string
	Masked string
	Kind   *string
	Region *string
	// Invalid: a phone number no numbering plan allows (an unallocated
	// range), kept because looking it up is still a lookup.
	Invalid     bool
	LookerCount int
}

// IPUsage is one USED_IP relationship seen from the account.
type IPUsage struct {
	IP          IP
	First, Last *time.Time
	Count       int
}

// DeviceUsage is one USED_DEVICE relationship seen from the account.
type DeviceUsage struct {
	Device      Device
	First, Last *time.Time
	Count       int
}

// Lookup is one LOOKED_UP relationship seen from the account.
type Lookup struct {
	Target      Target
	First, Last *time.Time
	Count       int
	Hits        int
}

// AccountUsage is one USED_IP or USED_DEVICE relationship seen from the
// resource.
type AccountUsage struct {
	Account     Account
	First, Last *time.Time
	Count       int
}

// GraphNode is a node of a neighborhood.
type GraphNode struct {
	ID    string
	Kind  NodeKind
	Label string
	Depth int
	Score *float64
}

// GraphEdge links an account to a resource in a neighborhood.
type GraphEdge struct {
	Source     string
	Target     string
	TargetKind NodeKind
	Count      int
}

// Neighborhood is a bounded subgraph around an account.
type Neighborhood struct {
	Nodes     []GraphNode
	Edges     []GraphEdge
	Truncated bool
}

// Signal is one signal of a network: what detection measured and what it
// added to the score.
type Signal struct {
	Name signals.Name
	// Contribution is the signal's share of the score; a network's
	// contributions sum to its score.
	Contribution float64
	// Strength is the measured value mapped to 0..1.
	Strength float64
	// Weight is how far the signal alone can raise a score.
	Weight float64
	// Measured is the raw measure, in the signal's own unit.
	Measured float64
	// Detail is detection's sentence with the numbers behind the measure.
	Detail *string
}

// CountryCount is a country and how many members or logins it has.
type CountryCount struct {
	Country string `json:"country"`
	Count   int    `json:"count"`
}

// CountryTally is how many countries there are and the first of them by
// count: a top-k, complete only when Count is at most len(Top).
type CountryTally struct {
	Count int
	Top   []CountryCount
}

// StateLinkedIndicator is detection's "possibly state-linked" indicator.
type StateLinkedIndicator struct {
	Possible   bool
	Confidence float64
	Reasons    []string
	// Details are the reasons with their source; empty for networks
	// written before sources were recorded.
	Details []StateReason
}

// StateReason is one reason of the indicator and where it came from.
type StateReason struct {
	Reason string
	Source StateReasonSource
}

// StateReasonSource says whether a reason rests on the configuration (a
// watch list) or on the network's own behaviour. The stored values are
// scoring's (scoring.SourceConfiguration, scoring.SourceBehaviour).
type StateReasonSource string

// Sources of state-linked reasons.
const (
	StateReasonConfiguration StateReasonSource = "configuration"
	StateReasonBehaviour     StateReasonSource = "behaviour"
)

// Network is a group found by one detection run.
type Network struct {
	ID              string
	Key             string // stable across runs (detection's identity)
	RunID           string
	Size            int
	Score           float64
	Signals         []Signal
	StateLinked     StateLinkedIndicator
	Evidence        any
	PredecessorID   *string
	OwnReviewStatus ReviewStatus
	// Members by registered country and logins by IP country, most
	// first; nil for networks written before detection stored them.
	MemberCountryCounts []CountryCount
	LoginCountryCounts  []CountryCount
	Handle              string // "N-0042": kept along the lineage (handles.go)
	Label               string // one line from the strongest signals; "" for networks detected before labels
}

// Member is an account in a network with its MEMBER_OF properties.
type Member struct {
	Account Account
	Score   float64
	Role    *string
	// InStateRing: the network's state-linked indicator rests on a ring of
	// its members (MEMBER_OF.stateRing) and this account is in it.
	InStateRing bool
}

// Membership is a network an account belongs to.
type Membership struct {
	NetworkID string
	Score     float64
	Role      *string
}

// PageInfo is Relay paging information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// MemberEdge is a member with its cursor.
type MemberEdge struct {
	Node Member
}

// Cursor is the edge's paging cursor. It is made when asked for, not
// with the edge: a page of members rarely shows its edges' cursors, and
// encoding 100 of them was a tenth of the API's own work on a network.
func (e MemberEdge) Cursor() string { return EncodeMemberCursor(e.Node) }

// MemberConnection is a page of members.
type MemberConnection struct {
	Edges      []MemberEdge
	PageInfo   PageInfo
	TotalCount int
}

// NetworkEdge is a network with its cursor.
type NetworkEdge struct {
	Cursor string
	Node   Network
}

// NetworkConnection is a page of networks. TotalCount is resolved on demand
// from Query, so a page that does not ask for it never counts.
type NetworkConnection struct {
	Edges    []NetworkEdge
	PageInfo PageInfo
	Query    NetworkQuery
}

// NetworkQuery selects networks; nil fields do not filter.
type NetworkQuery struct {
	RunID        string // resolved: never empty when the query runs
	MinScore     *float64
	MaxScore     *float64
	Signal       *SignalFilter
	StateLinked  *bool
	ReviewStatus *ReviewStatus
	Country      *string
	MinSize      *int
	OrderField   NetworkOrderField
	Direction    Direction
}

// SignalFilter keeps networks to which one signal contributed at least
// MinContribution.
type SignalFilter struct {
	Name            signals.Name
	MinContribution float64
}

// SharedIP is an IP a member shares with other members.
type SharedIP struct {
	IP               IP
	SharedWith       int
	SampleAccountIds []string
}

// SharedDevice is a device a member shares with other members.
type SharedDevice struct {
	Device           Device
	SharedWith       int
	SampleAccountIds []string
}

// SharedTarget is a target a member and other members looked up.
type SharedTarget struct {
	Target           Target
	SharedWith       int
	SampleAccountIds []string
}

// MemberEvidence says why an account is in a network.
type MemberEvidence struct {
	Account       Account
	NetworkID     string
	Score         float64
	Role          *string
	SharedIPs     []SharedIP
	SharedDevices []SharedDevice
	SharedTargets []SharedTarget
	LinkedMembers int
}

// SharedResourceCount is a resource and how many members used it.
type SharedResourceCount struct {
	ID      string
	Label   string
	Members int
}

// SharedResources are the resources shared by at least two members.
type SharedResources struct {
	Ips     []SharedResourceCount
	Devices []SharedResourceCount
	Targets []SharedResourceCount
}

// DetectionRun is one execution of detection.
type DetectionRun struct {
	ID           string
	Status       RunStatus
	StartedAt    *time.Time
	FinishedAt   *time.Time
	Params       any
	Stats        any
	Error        *string
	ReadPath     *ReadPath // nil for runs that failed before the read, or ran before it was recorded
	NetworkCount int
}

// DetectionProgress is one progress event of a running detection.
type DetectionProgress struct {
	RunID   string
	Stage   string
	Done    int
	Total   int
	Message *string
	Status  RunStatus
}

// Review is an analyst's verdict on a network.
type Review struct {
	ID        string
	NetworkID string
	Verdict   Verdict
	Note      string
	By        string
	At        time.Time
}

// SuspensionCriteria selects the accounts of a suspension list.
type SuspensionCriteria struct {
	RunID              string   `json:"runId"`
	MinScore           *float64 `json:"minScore,omitempty"`
	NetworkIds         []string `json:"networkIds,omitempty"`
	ConfirmedOnly      *bool    `json:"confirmedOnly,omitempty"`
	ExcludeVerified    *bool    `json:"excludeVerified,omitempty"`
	ExcludeAllowlisted *bool    `json:"excludeAllowlisted,omitempty"`
}

// SuspensionEntry is one account on a suspension list.
type SuspensionEntry struct {
	AccountID string   `json:"accountId"`
	NetworkID string   `json:"networkId"`
	Score     float64  `json:"score"`
	RunID     string   `json:"runId"`
	Reasons   []string `json:"reasons"`
}

// SuspensionList is a saved list of accounts to suspend.
type SuspensionList struct {
	ID           string
	Criteria     any
	CreatedBy    string
	CreatedAt    time.Time
	AccountCount int
}

// SuspensionExport is one completed download of a suspension list, as its
// audit event recorded it.
type SuspensionExport struct {
	At       time.Time
	By       string
	Format   string
	SHA256   string
	Rows     int
	Withheld int
}

// SuspensionListResult is what createSuspensionList returns.
type SuspensionListResult struct {
	DryRun bool
	Count  int
	Sample []SuspensionEntry
	List   *SuspensionList
}

// AuditEvent is one audited action.
type AuditEvent struct {
	ID         string
	At         time.Time
	Actor      string
	ActorKeyID string
	Role       Role
	Action     string
	Subject    *string
	Rows       int
	Detail     any
}

// Viewer is the API key making a request.
type Viewer struct {
	KeyID string
	Name  string
	Role  Role
}
