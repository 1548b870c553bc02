// Case-safe key segments: every id maps to a lowercase segment, no two ids to the same one, and
// each segment back to its id.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOfSegment, idSegment, keys } from '../../shared/store/keys.js';

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);

describe('idSegment', () => {
  it('keeps an id without capitals as it is, so data written before stays where it is', () => {
    expect(idSegment('demo-project')).toBe('demo-project');
    expect(keys.job('demo-project', '0abc')).toBe('jobs/demo-project/0abc.json');
  });

  it('gives ids that differ only in case different lowercase segments', () => {
    const segments = ['Demo', 'demo', 'DEMO', 'dEmo'].map(idSegment);
    expect(new Set(segments.map((s) => s.toLowerCase())).size).toBe(4);
    expect(keys.jobsOf('Demo')).toBe('jobs/demo.1/');
  });

  it('is injective, lowercase and reversible for every id', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(idSegment(a)).toBe(idSegment(a).toLowerCase());
        expect(idOfSegment(idSegment(a))).toBe(a);
        if (a !== b) expect(idSegment(a).toLowerCase()).not.toBe(idSegment(b).toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('names no id for a folder from before the encoding, or a mask that is not canonical', () => {
    expect(idOfSegment('Demo')).toBeNull();
    expect(idOfSegment('demo.0')).toBeNull();
    expect(idOfSegment('demo.01')).toBeNull();
    expect(idOfSegment('d3mo.2')).toBeNull(); // the mask names a digit
  });
});
