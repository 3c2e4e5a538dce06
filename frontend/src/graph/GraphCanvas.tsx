// The WebGL graph (sigma.js over graphology), split into its own chunk. It
// renders a GraphData, lays new nodes out with ForceAtlas2 in a web worker (the
// page stays responsive at 5,000 nodes), and reports clicks; selection and
// search highlighting go through sigma's reducers, so they cost no re-layout.

import { useEffect, useImperativeHandle, useRef, forwardRef, KeyboardEvent } from 'react';
import Graph from 'graphology';
import Sigma from 'sigma';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import { ColourBy, GraphData, nodeColour, nodeSize } from '../lib/graphData';
import { graphSettings, movementSettings } from './sigmaSettings';

export interface GraphCanvasHandle {
  focusNode(key: string): void;
  zoomIn(): void;
  zoomOut(): void;
  reset(): void;
  /** number of nodes sigma placed inside the visible viewport (for tests and the status line) */
  visibleNodeCount(): number;
}

interface Props {
  data: GraphData;
  /** bump to make the canvas pick up nodes/edges added to `data` in place */
  version: number;
  colourBy: ColourBy;
  selected: string | null;
  highlighted: Set<string>;
  onSelect: (key: string | null) => void;
  onExpand?: (key: string) => void;
  label: string;
  tall?: boolean;
  /** how long the layout runs after a change (ms); bigger graphs get longer */
  layoutMs?: number;
}

interface NodeAttrs {
  x: number;
  y: number;
  size: number;
  color: string;
  label: string;
  kind: string;
}

function hash01(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 100000) / 100000;
}

export const GraphCanvas = forwardRef<GraphCanvasHandle, Props>(function GraphCanvas(
  { data, version, colourBy, selected, highlighted, onSelect, onExpand, label, tall, layoutMs },
  ref,
) {
  const containerRef = useRef<HTMLDivElement>(null);
  const sigmaRef = useRef<Sigma<NodeAttrs> | null>(null);
  const graphRef = useRef<Graph<NodeAttrs> | null>(null);
  const layoutRef = useRef<FA2Layout | null>(null);
  const layoutTimer = useRef<number | null>(null);
  const stateRef = useRef({ selected, highlighted, colourBy });
  stateRef.current = { selected, highlighted, colourBy };
  // Selected node plus its neighbours, computed once per selection (not per node per frame).
  const focusRef = useRef<Set<string> | null>(null);
  const cbRef = useRef({ onSelect, onExpand });
  cbRef.current = { onSelect, onExpand };

  // Create sigma once.
  useEffect(() => {
    const graph = new Graph<NodeAttrs>({ type: 'undirected', multi: false });
    graphRef.current = graph;
    const sigma = new Sigma<NodeAttrs>(graph, containerRef.current!, graphSettings({
      nodeReducer: (node, attrs) => {
        const { selected: sel, highlighted: hl } = stateRef.current;
        const out: Partial<NodeAttrs & { highlighted: boolean; zIndex: number; forceLabel: boolean }> = { ...attrs };
        const focusSet = focusRef.current;
        if (node === sel) {
          out.highlighted = true;
          out.zIndex = 2;
          out.forceLabel = true;
        } else if (hl.has(node)) {
          out.highlighted = true;
          out.zIndex = 1;
          out.forceLabel = true;
        } else if (focusSet && !focusSet.has(node)) {
          out.color = '#e3e7eb';
          out.label = '';
          out.zIndex = 0;
        } else if (focusSet) {
          out.zIndex = 1;
        }
        return out;
      },
      edgeReducer: (edge, attrs) => {
        const sel = stateRef.current.selected;
        if (!sel) return attrs;
        const [s, t] = graph.extremities(edge);
        if (s === sel || t === sel) return { ...attrs, color: '#5a6b7b', size: 1.5, zIndex: 1 };
        return { ...attrs, hidden: true };
      },
    }));
    sigmaRef.current = sigma;
    // Exposed on the element for the end-to-end test (rendered-node check,
    // frame timing through sigma's beforeRender/afterRender events). Only
    // sigma's public settings and events are used: no patched internals.
    (containerRef.current as unknown as { __sigma: Sigma<NodeAttrs> }).__sigma = sigma;
    sigma.on('clickNode', ({ node }) => cbRef.current.onSelect(node));
    sigma.on('doubleClickNode', ({ node, event }) => {
      event.preventSigmaDefault();
      cbRef.current.onExpand?.(node);
    });
    sigma.on('clickStage', () => cbRef.current.onSelect(null));
    sigma.on('enterNode', () => containerRef.current && (containerRef.current.style.cursor = 'pointer'));
    sigma.on('leaveNode', () => containerRef.current && (containerRef.current.style.cursor = ''));
    return () => {
      if (layoutTimer.current) window.clearTimeout(layoutTimer.current);
      layoutRef.current?.kill();
      sigma.kill();
      sigmaRef.current = null;
      graphRef.current = null;
    };
  }, []);

  // Sync data into graphology and run the layout for a while.
  useEffect(() => {
    const graph = graphRef.current;
    const sigma = sigmaRef.current;
    if (!graph || !sigma) return;
    const degree = new Map<string, number>();
    for (const e of data.edges.values()) {
      degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
      degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
    }
    let added = 0;
    for (const n of data.nodes.values()) {
      if (graph.hasNode(n.key)) {
        graph.mergeNodeAttributes(n.key, { size: nodeSize(n, degree.get(n.key) ?? 0), color: nodeColour(n, stateRef.current.colourBy) });
        continue;
      }
      // Start new nodes near an already placed neighbour so expansion grows
      // out of the clicked node instead of from a random corner.
      let x = hash01(n.key + 'x') * 100;
      let y = hash01(n.key + 'y') * 100;
      for (const e of data.edges.values()) {
        const other = e.source === n.key ? e.target : e.target === n.key ? e.source : null;
        if (other && graph.hasNode(other)) {
          const a = graph.getNodeAttributes(other);
          x = a.x + (hash01(n.key + 'dx') - 0.5) * 4;
          y = a.y + (hash01(n.key + 'dy') - 0.5) * 4;
          break;
        }
      }
      graph.addNode(n.key, { x, y, size: nodeSize(n, degree.get(n.key) ?? 0), color: nodeColour(n, stateRef.current.colourBy), label: n.label, kind: n.kind });
      added++;
    }
    for (const e of data.edges.values()) {
      if (!graph.hasEdge(e.source, e.target)) graph.addEdge(e.source, e.target, { size: Math.min(3, 0.5 + Math.log10(1 + e.count)) });
    }
    if (added === 0) return;
    // Big graphs: drop edges and labels while the camera moves (sigma's
    // public hideEdgesOnMove/hideLabelsOnMove), so a pan redraws mostly node
    // discs and software WebGL on a GPU-less machine keeps up.
    const moving = movementSettings(graph.order, graph.size);
    sigma.setSetting('hideEdgesOnMove', moving.hideEdgesOnMove);
    sigma.setSetting('hideLabelsOnMove', moving.hideLabelsOnMove);
    if (!layoutRef.current) {
      const settings = forceAtlas2.inferSettings(graph);
      layoutRef.current = new FA2Layout(graph, { settings: { ...settings, barnesHutOptimize: graph.order > 500, slowDown: 5 } });
    }
    layoutRef.current.start();
    if (layoutTimer.current) window.clearTimeout(layoutTimer.current);
    const ms = layoutMs ?? Math.min(6000, 1200 + graph.order * 0.8);
    layoutTimer.current = window.setTimeout(() => {
      layoutRef.current?.stop();
      containerRef.current?.setAttribute('data-layout', 'done');
    }, ms);
    containerRef.current?.setAttribute('data-layout', 'running');
    containerRef.current?.setAttribute('data-nodes', String(graph.order));
    containerRef.current?.setAttribute('data-edges', String(graph.size));
  }, [data, version, layoutMs]);

  // Recolour on colouring change.
  useEffect(() => {
    const graph = graphRef.current;
    if (!graph) return;
    for (const n of data.nodes.values()) if (graph.hasNode(n.key)) graph.setNodeAttribute(n.key, 'color', nodeColour(n, colourBy));
    sigmaRef.current?.refresh({ skipIndexation: false });
  }, [colourBy, data, version]);

  // Selection and search only change reducers' output.
  useEffect(() => {
    const graph = graphRef.current;
    focusRef.current = selected && graph?.hasNode(selected) ? new Set([selected, ...graph.neighbors(selected)]) : null;
    sigmaRef.current?.refresh({ skipIndexation: true });
  }, [selected, highlighted, version]);

  useImperativeHandle(ref, () => ({
    focusNode(key: string) {
      const sigma = sigmaRef.current;
      const d = sigma?.getNodeDisplayData(key);
      if (sigma && d) sigma.getCamera().animate({ x: d.x, y: d.y, ratio: 0.25 }, { duration: 400 });
    },
    zoomIn: () => sigmaRef.current?.getCamera().animatedZoom({ duration: 200 }),
    zoomOut: () => sigmaRef.current?.getCamera().animatedUnzoom({ duration: 200 }),
    reset: () => sigmaRef.current?.getCamera().animatedReset({ duration: 300 }),
    visibleNodeCount() {
      const sigma = sigmaRef.current;
      const graph = graphRef.current;
      if (!sigma || !graph) return 0;
      const { width, height } = sigma.getDimensions();
      let n = 0;
      graph.forEachNode((node) => {
        const d = sigma.getNodeDisplayData(node);
        if (!d || d.hidden) return;
        const p = sigma.framedGraphToViewport(d);
        if (p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height) n++;
      });
      return n;
    },
  }));

  // Keyboard: arrows pan, +/- zoom, 0 resets, Escape clears the selection.
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const sigma = sigmaRef.current;
    if (!sigma) return;
    const cam = sigma.getCamera();
    const st = cam.getState();
    const step = 0.1 * st.ratio;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) {
      cam.setState({ x: st.x + moves[e.key][0], y: st.y + moves[e.key][1] });
    } else if (e.key === '+' || e.key === '=') cam.animatedZoom({ duration: 150 });
    else if (e.key === '-') cam.animatedUnzoom({ duration: 150 });
    else if (e.key === '0') cam.animatedReset({ duration: 200 });
    else if (e.key === 'Escape') cbRef.current.onSelect(null);
    else if (e.key === 'Enter' && stateRef.current.selected) cbRef.current.onExpand?.(stateRef.current.selected);
    else return;
    e.preventDefault();
  };

  return (
    <div
      ref={containerRef}
      className={`graph-canvas${tall ? ' tall' : ''}`}
      data-testid="graph"
      role="application"
      aria-label={`${label}. Arrow keys pan, plus and minus zoom, 0 resets, Enter expands the selected node, Escape clears the selection.`}
      tabIndex={0}
      onKeyDown={onKey}
    />
  );
});

export default GraphCanvas;
