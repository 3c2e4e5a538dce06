import { describe, expect, it } from 'vitest';
import { stateReasonLines, stateReasonText } from './stateReasons';

describe('stateReasonLines', () => {
  it('says where each reason came from', () => {
    const lines = stateReasonLines({
      reasons: ['ASN 64500 on the watch list', 'hosting in 2 ASNs'],
      details: [
        { reason: 'ASN 64500 on the watch list', source: 'CONFIGURATION' },
        { reason: 'hosting in 2 ASNs', source: 'BEHAVIOUR' },
      ],
    });
    expect(lines.map(stateReasonText)).toEqual(['ASN 64500 on the watch list (watch list)', 'hosting in 2 ASNs (behaviour)']);
  });

  it('shows the bare reasons of runs made before sources were recorded', () => {
    expect(stateReasonLines({ reasons: ['old reason'], details: [] }).map(stateReasonText)).toEqual(['old reason']);
  });
});
