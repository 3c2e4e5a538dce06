// Sigma's settings for the investigation graph, built apart from the
// component so a test can read them without WebGL.

import type { Attributes } from 'graphology-types';
import type { Settings } from 'sigma/settings';

/**
 * LABEL_SETTINGS keep labels readable in dense clusters through sigma's own
 * label grid: the viewport is cut into cells of labelGridCellSize px and each
 * cell shows at most about labelDensity labels (largest nodes first), and
 * nodes drawn smaller than labelRenderedSizeThreshold px get none. Zooming in
 * enlarges nodes and frees cells, so hidden labels appear as the user zooms.
 * The selected node and search hits still show theirs (forceLabel); the
 * selection's neighbours go through the grid like the rest, or a hub's
 * hundred neighbours would print a hundred overlapping labels.
 */
export const LABEL_SETTINGS = {
  labelDensity: 0.5,
  labelGridCellSize: 120,
  labelRenderedSizeThreshold: 9,
} as const satisfies Partial<Settings>;

/** graphSettings is everything GraphCanvas passes to new Sigma(), with its reducers. */
export function graphSettings<N extends Attributes>(reducers: Pick<Settings<N>, 'nodeReducer' | 'edgeReducer'>): Partial<Settings<N>> {
  return {
    ...LABEL_SETTINGS,
    renderEdgeLabels: false,
    hideEdgesOnMove: false,
    labelFont: 'system-ui, sans-serif',
    defaultEdgeColor: '#c6ccd4',
    zIndex: true,
    allowInvalidContainer: true,
    ...reducers,
  };
}

/**
 * movementSettings: on big graphs sigma leaves edges and labels out while the
 * camera moves (public settings), so a pan redraws mostly node discs.
 */
export function movementSettings(nodes: number, edges: number): Pick<Settings, 'hideEdgesOnMove' | 'hideLabelsOnMove'> {
  return { hideEdgesOnMove: edges > 3000, hideLabelsOnMove: nodes > 2000 };
}
