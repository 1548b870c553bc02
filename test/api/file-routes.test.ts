// The api/ folder is what Vercel deploys: its files must map to exactly the routes of DESIGN.md.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverRoutes } from '../../server/routes.js';
import { ROOT } from '../../scripts/processes.js';

describe('file routing', () => {
  it('maps api/ files to the contract routes, static before dynamic, _lib excluded', async () => {
    const routes = await discoverRoutes(path.join(ROOT, 'api'));
    expect(routes.map((r) => [r.path, path.relative(ROOT, r.file)])).toEqual([
      ['/api/openapi.json', 'api/openapi.json.ts'],
      ['/api/jobs/render', 'api/jobs/render.ts'],
      ['/api/cron/prune', 'api/cron/prune.ts'],
      ['/api/metrics', 'api/metrics.ts'],
      ['/api/uploads', 'api/uploads/index.ts'],
      ['/api/jobs', 'api/jobs/index.ts'],
      ['/api/jobs/:jobId/process', 'api/jobs/[jobId]/process.ts'],
      ['/api/jobs/:jobId/cancel', 'api/jobs/[jobId]/cancel.ts'],
      ['/api/jobs/:jobId/events', 'api/jobs/[jobId]/events.ts'],
      ['/api/jobs/:jobId/image', 'api/jobs/[jobId]/image.ts'],
      ['/api/uploads/:uploadId', 'api/uploads/[uploadId].ts'],
      ['/api/jobs/:jobId', 'api/jobs/[jobId].ts'],
    ]);
  });
});
