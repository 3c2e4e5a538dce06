// A synthetic graph of N nodes (default 5,000) drawn by the same graph view
// the network page uses: the end-to-end test pans it to record frame times,
// and anyone can open #/lab/graph?nodes=5000 to check the renderer on a machine.

import { lazy, Suspense, useMemo } from 'react';
import { Loading } from '../components/common';
import { syntheticGraph } from '../lib/graphData';

const GraphPanel = lazy(() => import('../graph/GraphPanel'));

export default function GraphLab({ query }: { query: URLSearchParams }) {
  const n = Math.min(20000, Math.max(10, Number(query.get('nodes')) || 5000));
  const layoutMs = Number(query.get('layoutMs')) || undefined;
  const data = useMemo(() => syntheticGraph(n, 7), [n]);
  return (
    <div className="stack">
      <h1>Graph performance check</h1>
      <p className="muted">
        A synthetic network of {n.toLocaleString('en-GB')} nodes (no API data) drawn by the network view's renderer. Change the size with{' '}
        <code>#/lab/graph?nodes=N</code>.
      </p>
      <Suspense fallback={<Loading what="the graph renderer" />}>
        <GraphPanel data={data} version={1} title={`Synthetic graph of ${n} nodes`} tall layoutMs={layoutMs} />
      </Suspense>
    </div>
  );
}
