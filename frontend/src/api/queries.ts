// Every GraphQL operation the UI sends, in one place, written against
// graph/schema/*.graphqls. Optional fields the API may not have yet (see
// schemaFeatures) are spliced in only when introspection shows them.

export const VIEWER = /* GraphQL */ `
  query Viewer { viewer { keyId name role } }
`;

export const FEATURES = /* GraphQL */ `
  query Features {
    account: __type(name: "Account") { fields { name } }
  }
`;

export const RUNS = /* GraphQL */ `
  query Runs($first: Int) {
    detectionRuns(first: $first) { id status startedAt finishedAt params stats error networkCount }
  }
`;

export const NETWORKS = /* GraphQL */ `
  query Networks($filter: NetworkFilter, $orderBy: NetworkOrder, $first: Int, $after: String) {
    networks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id handle label runId size score reviewStatus
          signals { name contribution }
          memberCountries(first: 3) { count top { country count } }
          stateLinked { possible confidence }
        }
      }
    }
  }
`;

/** SIGNAL_NAMES reads the SignalName enum with its descriptions, so the signal filter offers what the API accepts. */
export const SIGNAL_NAMES = /* GraphQL */ `
  query SignalNames {
    signalName: __type(name: "SignalName") { enumValues { name description } }
  }
`;

export const NETWORK = /* GraphQL */ `
  query Network($id: ID!) {
    network(id: $id) {
      id handle label runId size score reviewStatus lineageId evidence
      run { id status startedAt finishedAt }
      signals { name contribution strength measured detail }
      memberCountries(first: 5) { count top { country count } }
      loginCountries(first: 5) { count top { country count } }
      stateLinked { possible confidence reasons }
      predecessor { id runId }
      successor { id runId }
      reviews { id networkId verdict note by at }
      sharedResources(first: 20) {
        ips { id label members }
        devices { id label members }
        targets { id label members }
      }
    }
  }
`;

export const NETWORK_MEMBERS = /* GraphQL */ `
  query NetworkMembers($id: ID!, $first: Int, $after: String) {
    network(id: $id) {
      id
      members(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { score role account { id handle country verified status createdAt allowlisted lookupCount } } }
      }
    }
  }
`;

export const MEMBER_EVIDENCE = /* GraphQL */ `
  query MemberEvidence($id: ID!, $accountId: ID!) {
    network(id: $id) {
      id
      memberEvidence(accountId: $accountId) {
        score role linkedMembers
        sharedIPs { sharedWith sampleAccountIds ip { addr kind country asnOrg } }
        sharedDevices { sharedWith sampleAccountIds device { id os client } }
        sharedTargets { sharedWith sampleAccountIds target { key masked region } }
      }
    }
  }
`;

export const NEIGHBORHOOD = /* GraphQL */ `
  query Neighborhood($accountId: ID!, $depth: Int, $limit: Int) {
    neighborhood(accountId: $accountId, depth: $depth, limit: $limit) {
      truncated
      nodes { id kind label depth score }
      edges { source target targetKind count }
    }
  }
`;

export const IP_ACCOUNTS = /* GraphQL */ `
  query IPAccounts($addr: ID!) {
    ip(addr: $addr) { addr accountCount accounts(first: 50) { count account { id handle } } }
  }
`;

export const DEVICE_ACCOUNTS = /* GraphQL */ `
  query DeviceAccounts($id: ID!) {
    device(id: $id) { id accountCount accounts(first: 50) { count account { id handle } } }
  }
`;

export function accountQuery(withSweep = false): string {
  return /* GraphQL */ `
  query Account($id: ID!) {
    account(id: $id) {
      id handle createdAt country verified status allowlisted lookupCount
      allowlist { by at reason }
      ips(first: 50) { first last count ip { addr asn asnOrg country kind accountCount } }
      devices(first: 50) { first last count device { id os client accountCount } }
      lookups(first: 100) { first last count hits target { key masked kind region } }
      memberships { score role network { id handle label runId score size reviewStatus run { id startedAt } } }
      ${withSweep ? 'sweep { block distinct lookups longestRun bins }' : ''}
    }
  }
`;
}

export const REVIEW = /* GraphQL */ `
  mutation Review($id: ID!, $verdict: Verdict!, $note: String!) {
    reviewNetwork(id: $id, verdict: $verdict, note: $note) { id networkId verdict note by at }
  }
`;

export const ALLOWLIST = /* GraphQL */ `
  mutation Allowlist($id: ID!, $reason: String!) {
    allowlistAccount(id: $id, reason: $reason) { id allowlisted allowlist { by at reason } }
  }
`;

export const UNALLOWLIST = /* GraphQL */ `
  mutation Unallowlist($id: ID!) { unallowlistAccount(id: $id) { id allowlisted } }
`;

const ENTRY = 'accountId networkId score runId reasons account { handle country verified }';

export const CREATE_LIST = /* GraphQL */ `
  mutation CreateList($criteria: SuspensionCriteria!, $dryRun: Boolean) {
    createSuspensionList(criteria: $criteria, dryRun: $dryRun) {
      dryRun count
      sample { ${ENTRY} }
      list { id criteria createdBy createdAt accountCount exportPath }
    }
  }
`;

export const LISTS = /* GraphQL */ `
  query Lists($first: Int) {
    suspensionLists(first: $first) { id criteria createdBy createdAt accountCount exportPath }
  }
`;

export const LIST_ENTRIES = /* GraphQL */ `
  query ListEntries($id: ID!, $first: Int, $after: String) {
    suspensionList(id: $id) { id accountCount entries(first: $first, after: $after) { ${ENTRY} } }
  }
`;

export const RUN_DETECTION = /* GraphQL */ `
  mutation RunDetection($input: RunDetectionInput) {
    runDetection(input: $input) { id status startedAt }
  }
`;

export const RUN = /* GraphQL */ `
  query Run($id: ID!) { detectionRun(id: $id) { id status startedAt finishedAt params stats error networkCount } }
`;

export const PROGRESS = /* GraphQL */ `
  subscription Progress($runId: ID!) {
    detectionProgress(runId: $runId) { runId stage done total message status }
  }
`;

/** CASE_REPORT is everything the printable case report shows but the graph picture, in one request. */
export const CASE_REPORT = /* GraphQL */ `
  query CaseReport($id: ID!) {
    network(id: $id) {
      id handle label runId size score reviewStatus lineageId evidence
      run { id startedAt finishedAt }
      signals { name contribution strength measured detail }
      memberCountries(first: 5) { count top { country count } }
      stateLinked { possible confidence reasons }
      reviews { id networkId verdict note by at }
      sharedResources(first: 10) {
        ips { id label members }
        devices { id label members }
        targets { id label members }
      }
      members(first: 100) {
        totalCount
        edges { node { score role account { id handle country verified } } }
      }
    }
    suspensionLists(first: 100) { id criteria createdBy createdAt accountCount exportPath }
  }
`;
