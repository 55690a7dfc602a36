import { ConfigError } from '../errors.js';
import { SCOPE_TOKEN } from './issue-claims.js';

const KNOWN = new Set(['scope', 'maxAuthAge', 'audience', 'dpop']);

const bad = (option: string, rule: string): never => {
  throw new ConfigError(`verify options: ${option} ${rule}`, {
    reason: 'invalid_verify_options',
    claim: option,
  });
};

/**
 * Checks the per-call options of `verify` before any check runs. Security: a bad value must never
 * skip a check (`maxAuthAge: NaN` compares false, a misspelt `scopes` would require nothing), so every
 * unknown name and ill-typed value is an `ERR_CONFIG`, never a silent accept or a TypeError.
 */
export function checkVerifyOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    bad('(options)', 'must be an object');
  const record = options as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!KNOWN.has(name)) bad(JSON.stringify(name.slice(0, 32)), 'is not a verify option');
  }
  const { scope, maxAuthAge, audience, dpop } = record;
  if (dpop !== undefined && !isDpopRequest(dpop))
    bad('dpop', 'must be { proof, method, url, requireNonce? }: three strings and a boolean');
  if (scope !== undefined && !isScopeList(scope))
    bad('scope', 'must be a space-separated scope string or an array of scope tokens');
  if (
    maxAuthAge !== undefined &&
    !(typeof maxAuthAge === 'number' && Number.isFinite(maxAuthAge) && maxAuthAge >= 0)
  )
    bad('maxAuthAge', 'must be a finite number of seconds, at least 0');
  if (audience !== undefined && !isAudience(audience))
    bad('audience', 'must be a non-empty string or a non-empty array of non-empty strings');
}

function isDpopRequest(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { proof, method, url, requireNonce, ...rest } = value as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof proof === 'string' &&
    typeof method === 'string' &&
    typeof url === 'string' &&
    (requireNonce === undefined || typeof requireNonce === 'boolean')
  );
}

function isScopeList(scope: unknown): boolean {
  if (typeof scope === 'string') return scope.split(' ').every((token) => SCOPE_TOKEN.test(token));
  return Array.isArray(scope) && scope.every((token) => typeof token === 'string' && SCOPE_TOKEN.test(token));
}

function isAudience(audience: unknown): boolean {
  const nonEmpty = (value: unknown) => typeof value === 'string' && value.length > 0;
  if (typeof audience === 'string') return nonEmpty(audience);
  return Array.isArray(audience) && audience.length > 0 && audience.every(nonEmpty);
}
