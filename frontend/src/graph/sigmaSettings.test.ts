import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphSettings, LABEL_SETTINGS, movementSettings } from './sigmaSettings';

// sigma's modules read WebGL2 type constants when they load; happy-dom has no
// WebGL, and the settings code needs nothing else from it (values from the spec).
const GL_TYPES = { BOOL: 0x8b56, BYTE: 0x1400, UNSIGNED_BYTE: 0x1401, SHORT: 0x1402, UNSIGNED_SHORT: 0x1403, INT: 0x1404, UNSIGNED_INT: 0x1405, FLOAT: 0x1406 };
vi.stubGlobal('WebGL2RenderingContext', GL_TYPES);
vi.stubGlobal('WebGLRenderingContext', GL_TYPES);
const { resolveSettings, validateSettings, DEFAULT_SETTINGS } = await import('sigma/settings');

describe('graphSettings', () => {
  const nodeReducer = (_: string, a: Record<string, unknown>) => a;
  const settings = graphSettings({ nodeReducer, edgeReducer: null });

  it('configures sigma\'s label grid through its public settings', () => {
    expect(settings.labelDensity).toBe(LABEL_SETTINGS.labelDensity);
    expect(settings.labelGridCellSize).toBe(LABEL_SETTINGS.labelGridCellSize);
    expect(settings.labelRenderedSizeThreshold).toBe(LABEL_SETTINGS.labelRenderedSizeThreshold);
    // Sparser than sigma's defaults, so dense clusters show fewer, non-overlapping labels.
    expect(settings.labelDensity!).toBeLessThan(DEFAULT_SETTINGS.labelDensity);
    expect(settings.labelGridCellSize!).toBeGreaterThanOrEqual(DEFAULT_SETTINGS.labelGridCellSize);
    expect(settings.labelRenderedSizeThreshold!).toBeGreaterThan(DEFAULT_SETTINGS.labelRenderedSizeThreshold);
  });

  it('is a settings object sigma accepts, reducers included', () => {
    const resolved = resolveSettings(settings);
    expect(() => validateSettings(resolved)).not.toThrow();
    expect(resolved.nodeReducer).toBe(nodeReducer);
    expect(resolved.labelDensity).toBe(LABEL_SETTINGS.labelDensity);
  });
});

describe('movementSettings', () => {
  it('leaves edges and labels out of a big graph while it moves, and draws small ones whole', () => {
    expect(movementSettings(5000, 6000)).toEqual({ hideEdgesOnMove: true, hideLabelsOnMove: true });
    expect(movementSettings(300, 900)).toEqual({ hideEdgesOnMove: false, hideLabelsOnMove: false });
  });
});

describe('GraphCanvas', () => {
  it('drives sigma through its public API only', () => {
    // Sigma's private members that earlier versions patched for frame time.
    const src = readFileSync(join(import.meta.dirname, 'GraphCanvas.tsx'), 'utf8');
    for (const internal of ['activeListeners', 'nodePrograms', 'pickProgram', 'draggedEvents', 'isMoving']) expect(src).not.toContain(internal);
  });
});
