// The draw threads: pictures come back whole, and an abort is honoured as far as a drawing allows.
import { afterAll, describe, expect, it } from 'vitest';
import { DrawPool } from '../../shared/providers/axonometric/draw-pool.js';
import { drawPicture } from '../../shared/providers/axonometric/picture.js';
import { exampleRequest, worstCaseRequest } from '../helpers/concept.js';

describe('DrawPool', () => {
  const pool = new DrawPool(1);
  afterAll(() => pool.close());

  it('returns the same PNG as drawing in this thread', async () => {
    const c = exampleRequest().conceptInputs;
    const drawn = await pool.draw(c);
    expect(drawn.png.equals(drawPicture(c).png)).toBe(true);
    expect([drawn.width, drawn.height]).toEqual([c.view.width, c.view.height]);
  });

  it('on abort, rejects at once; a queued drawing never starts, and the thread goes on to the next', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const first = pool.draw(worstCaseRequest().conceptInputs, running.signal);
    const second = pool.draw(worstCaseRequest().conceptInputs, queued.signal);
    expect([pool.busy, pool.waiting]).toEqual([1, 1]);
    const t = performance.now();
    queued.abort(new Error('cancelled while queued'));
    running.abort(new Error('cancelled while drawing'));
    await expect(second).rejects.toThrow('cancelled while queued');
    await expect(first).rejects.toThrow('cancelled while drawing');
    expect(pool.waiting).toBe(0);
    // Well before the drawing itself could have finished (about 1 s of CPU).
    expect(performance.now() - t).toBeLessThan(200);
    // The running drawing stops at its next step; then the thread takes the next one.
    const next = await pool.draw(exampleRequest().conceptInputs);
    expect(next.png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses to start a drawing whose signal is already aborted', async () => {
    await expect(pool.draw(exampleRequest().conceptInputs, AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(pool.busy).toBe(0);
  });
});
