// How graphcache identifies each object type of the schema. Types with an
// `id` are normalised by it and need no entry. Entities identified by another
// field say which; everything else is a value embedded in its parent (null),
// including the two types whose `id` names something else: a GraphNode is an
// account or resource as seen from one neighbourhood (its depth and score
// belong to that query), a SharedResourceCount an IP, device or target as
// counted within one network. cacheKeys.test.ts checks this list against the
// schema, so a new type without an `id` cannot be left out.

import type { KeyingConfig } from '@urql/exchange-graphcache';

const embedded = () => null;

export const cacheKeys: KeyingConfig = {
  IP: (d) => (d.addr as string | undefined) ?? null,
  Target: (d) => (d.key as string | undefined) ?? null,
  Viewer: (d) => (d.keyId as string | undefined) ?? null,
  GraphNode: embedded,
  SharedResourceCount: embedded,
  SweepBlock: embedded,
  Allowlisting: embedded,
  IPUsage: embedded,
  DeviceUsage: embedded,
  Lookup: embedded,
  AccountUsage: embedded,
  GraphEdge: embedded,
  Neighborhood: embedded,
  PageInfo: embedded,
  Signal: embedded,
  CountryTally: embedded,
  CountryCount: embedded,
  StateLinkedIndicator: embedded,
  StateReason: embedded,
  Member: embedded,
  Membership: embedded,
  MemberEdge: embedded,
  MemberConnection: embedded,
  SharedIP: embedded,
  SharedDevice: embedded,
  SharedTarget: embedded,
  MemberEvidence: embedded,
  SharedResources: embedded,
  NetworkEdge: embedded,
  NetworkConnection: embedded,
  DetectionProgress: embedded,
  SuspensionEntry: embedded,
  SuspensionListResult: embedded,
  SuspensionExport: embedded,
};
