import { describe, expect, it, vi } from 'vitest';
import { graphSettings, LABEL_SETTINGS } from './sigmaSettings';

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
