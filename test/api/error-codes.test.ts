// One registry of the API's error codes (shared/api/error-codes.ts): every code the code throws is in
// it (or named internal), the README's table is generated from it, and OpenAPI publishes it.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorTableMarkdown, HTTP_ERROR_CODES, INTERNAL_ERROR_CODES } from '../../shared/api/error-codes.js';
import { openApiDocument } from '../../shared/api/openapi.js';
import { ROOT } from '../../scripts/processes.js';
import { execFileSync } from 'node:child_process';

describe('error codes', () => {
  it('lists every code thrown in the API, the worker and shared code', async () => {
    const files = execFileSync('git', ['ls-files', 'api', 'shared', 'worker', 'server'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts'));
    const thrown = new Set<string>();
    for (const file of files) {
      const source = await readFile(path.join(ROOT, file), 'utf8');
      for (const m of source.matchAll(/(?:new AppError|super)\('([a-z_]+)'/g)) thrown.add(m[1]!);
    }
    expect(thrown.size).toBeGreaterThan(20);
    const known = new Set<string>([...Object.keys(HTTP_ERROR_CODES), ...INTERNAL_ERROR_CODES]);
    expect([...thrown].filter((c) => !known.has(c))).toEqual([]);
  });

  it('is the README table and the OpenAPI x-error-codes', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(errorTableMarkdown());
    expect((openApiDocument() as { 'x-error-codes': unknown })['x-error-codes']).toEqual(HTTP_ERROR_CODES);
  });
});
