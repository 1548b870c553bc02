// GET /api/openapi.json — the OpenAPI 3.1 description of this API, generated from its zod contracts.
import { openApiDocument } from '../shared/api/openapi.js';
import { route } from './_lib/route.js';

let doc: Record<string, unknown> | undefined;

export default route('/api/openapi.json', {
  async GET(_req, res) {
    doc ??= openApiDocument();
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.status(200).json(doc);
  },
});
