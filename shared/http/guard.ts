// What every answer from our servers carries, and which Host names they answer: the dashboard may
// not be framed (clickjacking), nothing is sniffed into another type, no URL leaks in a Referer, and
// a page on another origin cannot reach a loopback server by re-resolving its own name (DNS rebinding).
import type { NextFunction, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import { AppError } from '../errors.js';

/**
 * The dashboard: its own script only; inline styles (one <style> block in index.html); images from
 * here or signed storage URLs; API calls to this origin (and Supabase Auth, should it sign users in).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https:",
  "connect-src 'self' https://*.supabase.co",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
});

export function setSecurityHeaders(res: ServerResponse): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  setSecurityHeaders(res);
  next();
}

export class MisdirectedRequestError extends AppError {
  constructor() {
    super('host_not_allowed', 'This server does not answer for that Host name.', { status: 421 });
  }
}

/** The Host header's name, lower-cased, without the port ("[::1]" keeps its brackets). */
export function hostNameOf(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase();
  const bracketed = /^(\[[^\]]*\])(?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  return host.replace(/:\d+$/, '');
}

/** Answers 421 to a Host not in `allowed` (null: any Host). */
export function hostCheck(allowed: readonly string[] | null) {
  return function checkHost(req: Request, _res: Response, next: NextFunction): void {
    if (allowed === null || allowed.includes(hostNameOf(req.headers.host))) return next();
    next(new MisdirectedRequestError());
  };
}
