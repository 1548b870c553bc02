// Supabase Auth access tokens, verified with `jose`: the project's JWT secret (HS256) or its JWKS
// (asymmetric signing keys, fetched and cached by jose). The token's `sub` is the user: the owner.
// A token must say when it ends (`exp`), and not too far off: a token that never expires is a
// password that cannot be changed. Anonymous sign-ins (and the project's anon key) may not render
// unless the operator allows them: anyone can mint one.
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { UnauthorizedError } from '../errors.js';

type JwtConfig = NonNullable<AuthConfig['jwt']>;

const remoteSets = new Map<string, JWTVerifyGetKey>();

function keySetOf(url: string): JWTVerifyGetKey {
  let set = remoteSets.get(url);
  if (!set) remoteSets.set(url, (set = createRemoteJWKSet(new URL(url), { timeoutDuration: 3_000, cooldownDuration: 30_000 })));
  return set;
}

/** The user id (`sub`) of a valid token; UnauthorizedError for anything else, with a reason a developer can act on. */
export async function verifyAccessToken(token: string, jwt: JwtConfig): Promise<string> {
  const options = { audience: jwt.audience, requiredClaims: ['exp'], ...(jwt.issuer ? { issuer: jwt.issuer } : {}) };
  try {
    const { payload } =
      jwt.secret && !jwt.jwksUrl
        ? await jwtVerify(token, new TextEncoder().encode(jwt.secret), { ...options, algorithms: ['HS256'] })
        : await verifyWithEither(token, jwt, options);
    const nowS = Math.floor(Date.now() / 1000);
    if (payload.exp! - nowS > jwt.maxLifeS)
      throw new UnauthorizedError(`The access token lives longer than ${jwt.maxLifeS} s (AUTH_JWT_MAX_LIFE_S); issue shorter-lived tokens.`);
    if (!jwt.allowAnonymous && (payload.role === 'anon' || payload.is_anonymous === true)) {
      throw new UnauthorizedError('Anonymous sign-ins may not use this API; sign in with an account.');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128)
      throw new UnauthorizedError('The access token names no user (sub).');
    return payload.sub;
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof errors.JWTExpired) throw new UnauthorizedError('The access token has expired; refresh the session.');
    if (err instanceof errors.JWTClaimValidationFailed) throw new UnauthorizedError(`The access token's ${err.claim} claim is not accepted.`);
    if (err instanceof errors.JOSEError) throw new UnauthorizedError('The access token is not valid.');
    throw err;
  }
}

/** A project moving to asymmetric keys still has tokens signed with its secret: accept both. */
async function verifyWithEither(token: string, jwt: JwtConfig, options: { audience: string; requiredClaims: string[]; issuer?: string }) {
  const set = keySetOf(jwt.jwksUrl!);
  try {
    return await jwtVerify(token, set, { ...options, algorithms: ['ES256', 'RS256', 'EdDSA'] });
  } catch (err) {
    if (!jwt.secret || !(err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JWKSNoMatchingKey)) throw err;
    return jwtVerify(token, new TextEncoder().encode(jwt.secret), { ...options, algorithms: ['HS256'] });
  }
}
