// GET /api/openapi.json is generated from the zod contracts; here every answer the API really
// gives (on every backend) is validated against the schema the document publishes for it, so the two
// cannot drift.
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverRoutes } from '../../server/routes.js';
import { ROOT } from '../../scripts/processes.js';
import { type ApiFixture, useInlineApi, waitForJob } from '../helpers/api.js';
import { exampleBody } from '../helpers/concept.js';
import { onRealServer, selectedProcessStores } from '../helpers/stores.js';

type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

const openApiOf = async (api: ApiFixture) => (await (await fetch(`${api.url}/api/openapi.json`)).json()) as OpenApiDoc;

/** Calls the API and checks the answer against the document's schema for its path, method and status. */
async function conformsTo(
  api: ApiFixture,
  doc: OpenApiDoc,
  method: string,
  docPath: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(api.url + url, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  const response = doc.paths[docPath]?.[method.toLowerCase()]?.responses[String(res.status)];
  expect(response, `${method} ${docPath} ${res.status} is documented`).toBeDefined();
  const schema = response!.content?.['application/json']?.schema;
  expect(schema, `${method} ${docPath} ${res.status} has a JSON schema`).toBeDefined();
  const validate = ajv.compile(schema!);
  expect(validate(json), `${method} ${url} → ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return { status: res.status, json };
}

// The document does not depend on the store: read once, from the API on the filesystem store.
if (!onRealServer)
  describe('OpenAPI document', () => {
    const fx = useInlineApi();

    it('is OpenAPI 3.1 and documents every public route the api/ folder serves', async () => {
      const doc = await openApiOf(fx.api);
      expect(doc.openapi).toBe('3.1.0');
      const served = (await discoverRoutes(path.join(ROOT, 'api'))).map((r) => r.path.replace(/:(\w+)/g, '{$1}'));
      const internal = ['/api/openapi.json', '/api/uploads/{uploadId}'];
      expect(Object.keys(doc.paths).sort()).toEqual(served.filter((p) => !internal.includes(p)).sort());
    });
  });

for (const [name, make] of selectedProcessStores())
  describe(`OpenAPI document against real answers (${name})`, () => {
    const fx = useInlineApi({}, make);
    let api: ApiFixture;
    let doc: OpenApiDoc;
    const conforms = (method: string, docPath: string, url: string, body?: unknown) => conformsTo(api, doc, method, docPath, url, body);
    beforeAll(async () => {
      api = fx.api;
      doc = await openApiOf(api);
    });

    it('matches real answers: create, status, process, list, cancel, preview, uploads, metrics, prune and errors', async () => {
      const created = await conforms('POST', '/api/jobs/render', '/api/jobs/render', { ...exampleBody, projectId: 'oa' });
      expect(created.status).toBe(202);
      const q = `?projectId=oa`;
      await conforms('GET', '/api/jobs/{jobId}', `/api/jobs/${created.json.jobId}${q}`);
      await conforms('POST', '/api/jobs/{jobId}/process', `/api/jobs/${created.json.jobId}/process${q}`);
      await waitForJob(api, 'oa', created.json.jobId, (j) => j.status === 'completed');
      const done = await conforms('GET', '/api/jobs/{jobId}', `/api/jobs/${created.json.jobId}${q}`);
      expect(done.json.job.status).toBe('completed');
      await conforms('GET', '/api/jobs', `/api/jobs${q}&limit=5`);
      const second = await conforms('POST', '/api/jobs/render', '/api/jobs/render', { ...exampleBody, projectId: 'oa' });
      await conforms('POST', '/api/jobs/{jobId}/cancel', `/api/jobs/${second.json.jobId}/cancel${q}`);
      expect((await conforms('POST', '/api/jobs/render', '/api/jobs/render', { ...exampleBody, projectId: 'oa', kind: 'preview' })).status).toBe(201);
      await conforms('POST', '/api/uploads', '/api/uploads', { projectId: 'oa', files: [{ contentType: 'image/png', bytes: 100 }] });
      await conforms('GET', '/api/metrics', '/api/metrics');
      await conforms('GET', '/api/cron/prune', '/api/cron/prune');
      expect((await conforms('POST', '/api/jobs/render', '/api/jobs/render', { projectId: 'oa' })).status).toBe(400);
      expect((await conforms('GET', '/api/jobs/{jobId}', `/api/jobs/nosuchjob${q}`)).status).toBe(404);
    });

    it("matches the event stream's real events: each event's data against the document's x-events schema for its name", async () => {
      const created = (await (
        await fetch(`${api.url}/api/jobs/render`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...exampleBody, projectId: 'oa-sse' }),
        })
      ).json()) as { jobId: string };
      const q = '?projectId=oa-sse';
      const stream = fetch(`${api.url}/api/jobs/${created.jobId}/events${q}`).then((r) => r.text());
      await fetch(`${api.url}/api/jobs/${created.jobId}/process${q}`, { method: 'POST' });
      const text = await stream; // the stream ends with the job (or the function budget)
      const events = (doc.paths['/api/jobs/{jobId}/events']!.get as unknown as { 'x-events': Record<string, object> })['x-events'];
      const seen: string[] = [];
      for (const block of text.split('\n\n')) {
        const name = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!name || !data) continue;
        seen.push(name);
        expect(events[name], `event ${name} is documented`).toBeDefined();
        const validate = ajv.compile(events[name]!);
        expect(validate(JSON.parse(data)), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
      expect(seen[0]).toBe('status');
      expect(seen.at(-1)).toBe('done');
    });
  });
