// The README stands alone in a clone: every file it links to or names by path is in the repository.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/processes.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('links only to files inside the repository, and they exist', () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l));
    expect(links).toContain('docs/DESIGN.md');
    for (const link of links) {
      const target = path.resolve(ROOT, link);
      expect(target.startsWith(ROOT + path.sep), `${link} points outside the repository`).toBe(true);
      expect(existsSync(target), `${link} exists`).toBe(true);
    }
    expect(readme).not.toMatch(/\.\.\/shared\//);
  });

  it('says what the local renderer does with an edit’s references, and how to allow a local webhook', () => {
    expect(readme).toMatch(/local renderer checks the references but does not use them/);
    expect(readme).toMatch(/WEBHOOK_ALLOW_PRIVATE=true` \(for development/);
  });
});
