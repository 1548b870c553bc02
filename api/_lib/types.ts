// The slice of @vercel/node's request/response types the handlers use (the package itself is heavy).
// Vercel's Node runtime and the local express server both provide these members.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ApiRequest extends IncomingMessage {
  query: Partial<Record<string, string | string[]>>;
  /** Parsed lazily by the platform from the content type; throws on malformed JSON. */
  readonly body: unknown;
}

export interface ApiResponse extends ServerResponse {
  status(code: number): ApiResponse;
  json(body: unknown): ApiResponse;
  send(body: string | Buffer | object): ApiResponse;
}

export type ApiHandler = (req: ApiRequest, res: ApiResponse) => Promise<void>;
