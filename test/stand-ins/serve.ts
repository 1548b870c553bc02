// Serves msw handlers on a real loopback port, so other processes (workers, the API, benchmarks)
// talk to a stand-in over real HTTP. The handlers are the same ones tests use in-process.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse, type RequestHandler } from 'msw';

export interface ServedHandlers {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function serveHandlers(handlers: () => RequestHandler[], host = '127.0.0.1'): Promise<ServedHandlers> {
  const server = createServer(async (req, res) => {
    try {
      const request = await toFetchRequest(req, host);
      const response = await getResponse(handlers(), request);
      // HttpResponse.error(): a dropped connection, as the client would see it.
      if (!response || response.type === 'error') {
        if (!response) res.writeHead(404).end();
        else res.destroy();
        return;
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      // A stream of events (OpenAI's partial images) is passed on as it is made, so it arrives over
      // time as the real one does; any other answer is sent whole.
      if (response.body && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        for await (const chunk of response.body) res.write(chunk);
        res.end();
        return;
      }
      res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function toFetchRequest(req: IncomingMessage, host: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const { port } = req.socket.address() as AddressInfo;
  return new Request(`http://${host}:${port}${req.url}`, {
    method: req.method,
    headers,
    body: body && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined,
  });
}
