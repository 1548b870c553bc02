// What the CLI shows while it waits and when a request is refused, without a server.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../client/index.js';
import { pathText } from '../../cli/issues.js';
import { progressReporter, serverEtaText } from '../../cli/progress.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const view = (status: 'pending' | 'processing', progress: number, etaFinishInMs: number | null, position: number | null = null): JobView =>
  ({
    job: { status, progress, stage: status === 'processing' ? 'rendering' : null },
    pollAfterMs: 500,
    queue: {
      position,
      ahead: position,
      etaStartAt: null,
      etaFinishAt: etaFinishInMs === null ? null : new Date(NOW + etaFinishInMs).toISOString(),
      basis: 'measured',
      workers: 1,
    },
  }) as unknown as JobView;

describe('the progress line', () => {
  it("shows the server's ETA (queue.etaFinishAt) and the queue position", () => {
    expect(serverEtaText(view('processing', 50, 42_000), NOW)).toBe('| ~42s left');
    expect(serverEtaText(view('pending', 0, 95_000, 3), NOW)).toBe('| #3 in queue | ~1m35s left');
    expect(serverEtaText(view('processing', 10, null), NOW)).toBe('');
  });

  it('off a terminal, writes a line per change and nothing on a timer', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const p = progressReporter(out);
    p.update(view('processing', 20, 40_000));
    p.update(view('processing', 20, 39_000));
    p.update(view('processing', 60, 10_000));
    p.stop();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^20% rendering \| ~\d+s left$/);
  });
});

describe('issue paths', () => {
  const request = { conceptInputs: { volumes: [{ id: 'podium' }, { id: 'tower' }, {}] } };
  it('name a volume by its id, else by its index', () => {
    expect(pathText(['conceptInputs', 'volumes', 1, 'footprint', 'width'], request)).toBe('conceptInputs.volumes["tower"].footprint.width');
    expect(pathText(['conceptInputs', 'volumes', 2, 'floors'], request)).toBe('conceptInputs.volumes[2].floors');
    expect(pathText(['conceptInputs', 'site', 'width'], request)).toBe('conceptInputs.site.width');
    expect(pathText([], request)).toBe('(request)');
  });
});
