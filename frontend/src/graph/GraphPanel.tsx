// Toolbar, canvas, legend and selection details of a graph view. The parent
// owns the data and how to expand a node (it knows the API); this component
// owns search, colouring, selection and the camera.

import { useMemo, useRef, useState } from 'react';
import { ColourBy, GraphData, KIND_COLOURS, OTHER_MEMBER, RESOURCE_GREY, ROLE_COLOURS, scoreColour, searchNodes } from '../lib/graphData';
import { formatCount, formatScore, humanise } from '../lib/format';
import { Link } from 'wouter';
import { paths } from '../lib/paths';
import GraphCanvas, { GraphCanvasHandle } from './GraphCanvas';

interface Props {
  data: GraphData;
  version: number;
  title: string;
  onExpand?: (key: string) => Promise<void>;
  note?: string;
  tall?: boolean;
  layoutMs?: number;
}

export default function GraphPanel({ data, version, title, onExpand, note, tall, layoutMs }: Props) {
  const canvas = useRef<GraphCanvasHandle>(null);
  const [colourBy, setColourBy] = useState<ColourBy>('role');
  const [selected, setSelected] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [expanding, setExpanding] = useState<string | null>(null);
  const [expandError, setExpandError] = useState<string | null>(null);
  const hits = useMemo(() => searchNodes(data, search, 12), [data, version, search]);
  const highlighted = useMemo(() => new Set(hits.map((h) => h.key)), [hits]);
  const sel = selected ? data.nodes.get(selected) : undefined;
  const degree = useMemo(() => {
    if (!selected) return 0;
    let d = 0;
    for (const e of data.edges.values()) if (e.source === selected || e.target === selected) d++;
    return d;
  }, [selected, data, version]);

  const expand = async (key: string) => {
    if (!onExpand) return;
    setExpanding(key);
    setExpandError(null);
    try {
      await onExpand(key);
    } catch (e) {
      setExpandError(e instanceof Error ? e.message : String(e));
    } finally {
      setExpanding(null);
    }
  };

  const legend: [string, string][] =
    colourBy === 'kind'
      ? (Object.entries(KIND_COLOURS) as [string, string][]).map(([k, c]) => [humanise(k === 'IP' ? 'ip' : k), c])
      : colourBy === 'role'
        ? [...(Object.entries(ROLE_COLOURS) as [string, string][]).map(([k, c]) => [humanise(k), c] as [string, string]), ['Member, other role', OTHER_MEMBER], ['IP / device / target', RESOURCE_GREY]]
        : [['Score 0', scoreColour(0)], ['0.5', scoreColour(0.5)], ['1', scoreColour(1)], ['No score', scoreColour(null)], ['IP / device / target', RESOURCE_GREY]];

  return (
    <section className="panel graph-panel" aria-label={title}>
      <div className="graph-toolbar">
        <div className="field">
          <label htmlFor="graph-search">Find node</label>
          <input
            id="graph-search"
            type="search"
            placeholder="handle, id, IP…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && hits[0]) {
                setSelected(hits[0].key);
                canvas.current?.focusNode(hits[0].key);
              }
            }}
            aria-describedby="graph-search-count"
          />
        </div>
        <span id="graph-search-count" className="muted small" aria-live="polite">
          {search ? `${hits.length}${hits.length === 12 ? '+' : ''} found` : ''}
        </span>
        <div className="field">
          <label htmlFor="graph-colour">Colour by</label>
          <select id="graph-colour" value={colourBy} onChange={(e) => setColourBy(e.target.value as ColourBy)}>
            <option value="role">Role in network</option>
            <option value="score">Membership score</option>
            <option value="kind">Node kind</option>
          </select>
        </div>
        <div className="row" role="group" aria-label="Camera">
          <button type="button" onClick={() => canvas.current?.zoomIn()} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => canvas.current?.zoomOut()} aria-label="Zoom out">
            −
          </button>
          <button type="button" onClick={() => canvas.current?.reset()}>
            Fit
          </button>
        </div>
        <span className="spacer" />
        <span className="muted small" data-testid="graph-count">
          {formatCount(data.nodes.size)} nodes · {formatCount(data.edges.size)} edges
        </span>
      </div>
      {search && hits.length > 0 && (
        <ul className="graph-side row" style={{ listStyle: 'none', margin: 0 }} aria-label="Search results">
          {hits.map((h) => (
            <li key={h.key}>
              <button type="button" className="small" onClick={() => { setSelected(h.key); canvas.current?.focusNode(h.key); }}>
                {h.label} <span className="muted">({humanise(h.kind === 'IP' ? 'ip' : h.kind)})</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <GraphCanvas
        ref={canvas}
        data={data}
        version={version}
        colourBy={colourBy}
        selected={selected}
        highlighted={highlighted}
        onSelect={setSelected}
        onExpand={onExpand ? expand : undefined}
        label={title}
        tall={tall}
        layoutMs={layoutMs}
      />
      <div className="graph-legend" aria-label="Legend">
        {legend.map(([l, c]) => (
          <span key={l}>
            <span className="swatch" style={{ background: c }} />
            {l}
          </span>
        ))}
        <span className="spacer" />
        <span className="muted">Click a node to select it; double-click (or Enter) to expand its neighbourhood.</span>
      </div>
      <div className="graph-side" aria-live="polite" data-testid="graph-selection">
        {note && <p className="muted small" style={{ margin: '0 0 0.4rem' }}>{note}</p>}
        {sel ? (
          <div className="row">
            <strong>{humanise(sel.kind === 'IP' ? 'ip' : sel.kind)}</strong>
            {sel.kind === 'ACCOUNT' ? <Link href={paths.account(sel.id)}>{sel.label}</Link> : <span className="mono">{sel.label}</span>}
            <span className="muted">{degree} links</span>
            {sel.member && (
              <span>
                member · {sel.member.role ?? 'no role'} · score {formatScore(sel.member.score)}
              </span>
            )}
            {!sel.member && sel.kind === 'ACCOUNT' && <span className="muted">not a member of this network</span>}
            {onExpand && sel.kind !== 'TARGET' && (
              <button type="button" onClick={() => expand(sel.key)} disabled={expanding !== null}>
                {expanding === sel.key ? 'Expanding…' : 'Expand neighbourhood'}
              </button>
            )}
            {expandError && <span className="field-error" role="alert">{expandError}</span>}
          </div>
        ) : (
          <span className="muted">No node selected.</span>
        )}
      </div>
    </section>
  );
}
