import { TokenClaimsError } from '../errors.js';
import type { AccessTokenClaims, IssueInput } from '../types.js';
import { platform } from './platform/index.js';

/** Claims tessera sets itself; custom claims may not override them. */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'scope',
  'client_id',
  'auth_time',
  'epoch',
  'cnf',
]);

/** A SHA-256 JWK thumbprint in base64url (RFC 7638): 43 characters. */
export const JKT = /^[A-Za-z0-9_-]{43}$/;

/** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface IssuePolicy {
  readonly issuer: string;
  readonly aud: string | readonly string[];
  readonly ttl: number;
  readonly clockTolerance: number;
  /** The `client_id` of a token whose input names none. */
  readonly clientId: string;
}

const invalid = (claim: string, message: string): never => {
  throw new TokenClaimsError(`cannot issue: ${message}`, { reason: 'invalid_input', claim });
};

/** Builds the claim set of a new token from trusted-but-checked input. Throws {@link TokenClaimsError}. */
export function buildClaims(input: IssueInput, policy: IssuePolicy, nowMs: number): AccessTokenClaims {
  if (typeof input !== 'object' || input === null) return invalid('sub', 'issue() takes an object');
  const { sub, sid, scope, clientId, authTime, epoch, jkt, claims, ttl = policy.ttl } = input;
  if (typeof sub !== 'string' || sub.length === 0) invalid('sub', '"sub" must be a non-empty string');
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > policy.ttl) {
    invalid('exp', `"ttl" must be an integer from 1 to ${policy.ttl} seconds`);
  }
  const iat = Math.floor(nowMs / 1000);
  const result: Record<string, unknown> = {
    iss: policy.issuer,
    sub,
    aud: policy.aud,
    exp: iat + ttl,
    iat,
    jti: platform.randomUUID(),
  };
  if (sid !== undefined) result['sid'] = nonEmpty('sid', sid);
  if (scope !== undefined) result['scope'] = normalizeScope(scope);
  // RFC 9068 section 2.2: every access token names its client.
  result['client_id'] = clientId === undefined ? policy.clientId : nonEmpty('client_id', clientId);
  if (authTime !== undefined) {
    if (!Number.isSafeInteger(authTime) || authTime > iat + policy.clockTolerance) {
      invalid('auth_time', '"authTime" must be integer seconds, not in the future');
    }
    result['auth_time'] = authTime;
  }
  if (epoch !== undefined) {
    if (!Number.isSafeInteger(epoch) || epoch < 0) invalid('epoch', '"epoch" must be a non-negative integer');
    result['epoch'] = epoch;
  }
  if (jkt !== undefined) {
    // RFC 9449 section 6.1: the SHA-256 JWK thumbprint of the client's DPoP key, base64url.
    if (typeof jkt !== 'string' || !JKT.test(jkt))
      invalid('cnf', '"jkt" must be a SHA-256 JWK thumbprint (43 base64url characters)');
    result['cnf'] = Object.freeze({ jkt });
  }
  if (claims !== undefined) {
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      invalid('claims', '"claims" must be a plain object');
    }
    for (const name of Object.keys(claims)) {
      if (REGISTERED_CLAIMS.has(name))
        invalid(name, `custom claim "${name}" would override a registered claim`);
      if (name === '__proto__') invalid(name, 'a "__proto__" claim is not allowed');
      result[name] = claims[name];
    }
  }
  return result as AccessTokenClaims;
}

function nonEmpty(claim: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    invalid(claim, `"${claim}" must be a non-empty string`);
  return value as string;
}

function normalizeScope(scope: string | readonly string[]): string {
  const tokens = typeof scope === 'string' ? scope.split(' ') : scope;
  if (!Array.isArray(tokens)) invalid('scope', '"scope" must be a string or an array of strings');
  for (const token of tokens) {
    if (typeof token !== 'string' || !SCOPE_TOKEN.test(token)) {
      invalid('scope', 'each scope must be a non-empty RFC 6749 scope-token');
    }
  }
  return [...new Set(tokens)].join(' ');
}
