// The state-linked indicator's reasons as the UI lists them: each with where
// it came from, since a watch-list match and a network's own behaviour weigh
// differently (behaviour alone gives a lower confidence, docs/DETECTION.md).

export interface StateLinkedReasons {
  reasons: string[];
  details: { reason: string; source: 'CONFIGURATION' | 'BEHAVIOUR' }[];
}

export interface StateReasonLine {
  reason: string;
  /** "watch list", "behaviour", or null for runs made before sources were recorded */
  source: string | null;
}

const sourceWords = { CONFIGURATION: 'watch list', BEHAVIOUR: 'behaviour' } as const;

/** stateReasonLines pairs each reason with its source, falling back to the bare reasons of older runs. */
export function stateReasonLines(s: StateLinkedReasons): StateReasonLine[] {
  if (s.details.length === 0) return s.reasons.map((reason) => ({ reason, source: null }));
  return s.details.map((d) => ({ reason: d.reason, source: sourceWords[d.source] }));
}

/** stateReasonText is one line of text: the reason and, where known, its source in brackets. */
export function stateReasonText(l: StateReasonLine): string {
  return l.source ? `${l.reason} (${l.source})` : l.reason;
}
