// Supabase Auth as the API sees it: access tokens signed like the project's (HS256 with the JWT
// secret, or ES256 with a signing key published at /auth/v1/.well-known/jwks.json), with the claims
// Supabase puts in them (aud "authenticated", role, iss `${url}/auth/v1`, sub the user's id).
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { http, HttpResponse } from 'msw';

export const JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

export interface TokenOptions {
  /** null: a token with no `exp` at all. */
  expiresInS?: number | null;
  audience?: string;
  secret?: string;
  issuer?: string;
  /** Claims beside the usual ones (`role`, `is_anonymous`, …), overriding them. */
  claims?: Record<string, unknown>;
}

export async function hsToken(sub: string, opts: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ role: 'authenticated', email: `${sub}@example.com`, ...opts.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setAudience(opts.audience ?? 'authenticated')
    .setIssuedAt();
  if (opts.issuer) jwt.setIssuer(opts.issuer);
  if (opts.expiresInS !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expiresInS ?? 3600));
  return jwt.sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));
}

/** A project with an asymmetric signing key, and its JWKS endpoint for msw. */
export async function jwksProject(origin: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'stand-in-key-1';
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig', key_ops: ['verify'] };
  let fetches = 0;
  return {
    jwksUrl: `${origin}/auth/v1/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    handlers: [
      http.get(`${origin}/auth/v1/.well-known/jwks.json`, () => {
        fetches++;
        return HttpResponse.json({ keys: [jwk] }, { headers: { 'cache-control': 'public, max-age=600' } });
      }),
    ],
    token: (sub: string, expiresInS = 3600) =>
      new SignJWT({ role: 'authenticated' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject(sub)
        .setAudience('authenticated')
        .setIssuer(`${origin}/auth/v1`)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
        .sign(privateKey),
  };
}
