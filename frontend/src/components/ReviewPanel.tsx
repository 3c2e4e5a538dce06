import { FormEvent, useState } from 'react';
import { ReviewDocument, type ReviewMutation, type Verdict } from '../gql/graphql';
import { useRequest } from '../graphql/hooks';
import { useAction } from '../lib/useAction';
import { ErrorBanner, ReviewBadge, RoleGate } from './common';
import { formatTime, humanise } from '../lib/format';

export type ReviewItem = ReviewMutation['reviewNetwork'];

const VERDICTS: { v: Verdict; help: string }[] = [
  { v: 'CONFIRM', help: 'Coordinated inauthentic behaviour; members seed the next run.' },
  { v: 'DISMISS', help: 'Not a coordinated network (false positive).' },
  { v: 'ESCALATE', help: 'Needs a senior analyst or another team.' },
];

export function ReviewPanel({ networkId, status, reviews, onReviewed }: { networkId: string; status: string; reviews: ReviewItem[]; onReviewed: () => void }) {
  const [verdict, setVerdict] = useState<Verdict | ''>('');
  const request = useRequest();
  const [note, setNote] = useState('');
  const { busy, error, setError, run } = useAction(false);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!verdict) {
      setError(new Error('Choose a verdict.'));
      return;
    }
    if (!note.trim()) {
      setError(new Error('Write a note: the next analyst needs to know why.'));
      return;
    }
    await run(true, async () => {
      const r = await request(ReviewDocument, { id: networkId, verdict, note: note.trim() });
      setDone(`Recorded: ${humanise(r.reviewNetwork.verdict)} by ${r.reviewNetwork.by}.`);
      setNote('');
      setVerdict('');
      onReviewed();
    });
  };
  return (
    <section className="panel" aria-labelledby="review-title">
      <div className="row">
        <h2 id="review-title" style={{ margin: 0 }}>
          Review
        </h2>
        <span data-testid="review-status">
          <ReviewBadge status={status} />
        </span>
      </div>
      <RoleGate need="ANALYST">
        <form onSubmit={submit} data-testid="review-form">
          <fieldset>
            <legend>Verdict</legend>
            {VERDICTS.map(({ v, help }) => (
              <div key={v}>
                <input type="radio" id={`verdict-${v}`} name="verdict" value={v} checked={verdict === v} onChange={() => setVerdict(v)} />
                <label htmlFor={`verdict-${v}`} style={{ marginLeft: '0.35rem' }}>
                  {humanise(v)}
                </label>{' '}
                <span className="muted small">{help}</span>
              </div>
            ))}
          </fieldset>
          <div className="field" style={{ marginTop: '0.5rem' }}>
            <label htmlFor="review-note">Note</label>
            <textarea id="review-note" value={note} onChange={(e) => setNote(e.target.value)} required />
          </div>
          <ErrorBanner error={error} />
          {done && (
            <div className="banner ok" role="status" data-testid="review-done">
              {done}
            </div>
          )}
          <p>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Record review'}
            </button>
          </p>
        </form>
      </RoleGate>
      <h3>History</h3>
      {reviews.length === 0 ? (
        <p className="muted">No reviews yet.</p>
      ) : (
        <ol className="history" reversed data-testid="review-history">
          {reviews.map((r) => (
            <li key={r.id}>
              <ReviewBadge status={r.verdict === 'CONFIRM' ? 'CONFIRMED' : r.verdict === 'DISMISS' ? 'DISMISSED' : 'ESCALATED'} /> by <strong>{r.by}</strong>, {formatTime(r.at)}
              {r.networkId !== networkId && (
                <span className="muted small"> (on predecessor <a href={`#/networks/${encodeURIComponent(r.networkId)}`}>{r.networkId}</a>)</span>
              )}
              <div>{r.note}</div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
