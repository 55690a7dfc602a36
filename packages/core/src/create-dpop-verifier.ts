import * as z from 'zod/mini';
import type { DpopNonces } from './create-dpop-nonces.js';
import { ConfigError, DpopProofError, TesseraError, UnavailableError } from './errors.js';
import type { Algorithm } from './lib/algorithms.js';
import { isCanonicalBase64url } from './lib/base64url.js';
import { checkedClock } from './lib/clock.js';
import { printable } from './lib/header.js';
import { normalizeHtu } from './lib/htu.js';
import { hasPrivateMember, publicMembersOf } from './lib/jwk-members.js';
import { importKey, type KeyEntry } from './lib/key-set.js';
import { andThen, isPromise, type Maybe } from './lib/maybe.js';
import { clockOption, clockToleranceOption, optionsError, serviceOption } from './lib/option-schemas.js';
import { cryptoPlatform, platform } from './lib/platform/index.js';
import { MemoryReplayCache, type ReplayCache } from './lib/replay-cache.js';
import { scrubbedCause } from './lib/scrub.js';
import { parseStrictJsonObject } from './lib/strict-json.js';
import { jwkThumbprint } from './lib/thumbprint.js';
import type { Jwk } from './types.js';

export type { ReplayCache };

/** A proof key, checked: its imported key and its RFC 7638 thumbprint. */
interface ProofKey {
  readonly entry: KeyEntry;
  readonly jkt: string;
}

/** The proof algorithms tessera verifies: asymmetric only (RFC 9449 section 4.2: never `none` or a MAC). */
const PROOF_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const;
/** A DPoP proof algorithm. */
export type DpopAlgorithm = (typeof PROOF_ALGORITHMS)[number];

/** The header parameters of a proof: exactly these (a `kid`, `jku`, `x5c` or `crit` is refused). */
const HEADER_PARAMETERS = new Set(['typ', 'alg', 'jwk']);
const KEY_CACHE_ENTRIES = 1024;

/** Options of {@link createDpopVerifier}; validated once (`ERR_CONFIG`). */
export interface DpopVerifierOptions {
  /** Proof algorithms accepted. Default `['ES256', 'EdDSA', 'Ed25519']`; asymmetric ones only. */
  readonly algorithms?: readonly DpopAlgorithm[];
  /** Largest proof accepted, in bytes. Default 4096 (an RSA-2048 proof is about 1.1 KB). */
  readonly maxProofBytes?: number;
  /** How old a proof's `iat` may be, in seconds. Default 60, at most 600. */
  readonly maxAge?: number;
  /** Clock tolerance for a proof's `iat` in the future, in seconds. Default 5, at most 60. */
  readonly clockTolerance?: number;
  /**
   * Where used proof ids are remembered (one `jti` per key is accepted once within its window).
   * Default: in memory, bounded by `maxRememberedProofs`. Fleets use the Redis one of
   * `@tessera/denylist`, so a proof replayed to another instance is refused too.
   */
  readonly replay?: ReplayCache;
  /** Bound of the in-memory replay cache. Default 200,000 (3,000 proofs/s over a 65 s window); past it, proofs fail closed. */
  readonly maxRememberedProofs?: number;
  /** Server nonces ({@link createDpopNonces}), for requests that require one (`requireNonce`). */
  readonly nonces?: DpopNonces;
  /** Current time in ms. Default `Date.now`. */
  readonly clock?: () => number;
}

/** What a request presents with its proof. */
export interface DpopRequest {
  /** The request's HTTP method, as sent (`htm` must equal it). */
  readonly method: string;
  /** The request's absolute URI (`htu` must equal it without query and fragment, after normalisation). */
  readonly url: string;
  /** The access token presented with the proof, if any (`ath` must be its SHA-256). */
  readonly accessToken?: string;
  /**
   * Require a server nonce (the verifier's `nonces`): the proof's `nonce` must be current, else
   * `use_dpop_nonce` (send `nonces.current()` in `DPoP-Nonce` and let the client retry).
   */
  readonly requireNonce?: boolean;
}

/** A verified proof. */
export interface VerifiedDpopProof {
  /** The RFC 7638 thumbprint of the proof's key: what `cnf.jkt` binds a token to. */
  readonly jkt: string;
  /** The proof's id (accepted once). */
  readonly jti: string;
  /** When the proof was made, seconds since the epoch. */
  readonly iat: number;
}

/** A DPoP proof verifier from {@link createDpopVerifier}. */
export interface DpopVerifier {
  /** The proof algorithms accepted, for `WWW-Authenticate: DPoP algs="..."`. */
  readonly algorithms: readonly DpopAlgorithm[];
  /**
   * Verifies a proof for a request: every check of RFC 9449 section 4.3, then the replay cache.
   * Rejects with `ERR_DPOP_PROOF` (with a `reason`), or `ERR_UNAVAILABLE` when the replay cache
   * cannot answer.
   */
  verify(proof: string, request: DpopRequest): Promise<VerifiedDpopProof>;
}

const schema = z.strictObject({
  algorithms: z._default(
    z.array(z.enum(PROOF_ALGORITHMS)).check(z.minLength(1), z.maxLength(PROOF_ALGORITHMS.length)),
    ['ES256', 'EdDSA', 'Ed25519'],
  ),
  maxProofBytes: z._default(z.int().check(z.minimum(512), z.maximum(16_384)), 4096),
  maxAge: z._default(z.int().check(z.minimum(1), z.maximum(600)), 60),
  clockTolerance: clockToleranceOption,
  replay: z.optional(serviceOption<ReplayCache>('replay', ['remember'])),
  nonces: z.optional(serviceOption<DpopNonces>('nonces (createDpopNonces)', ['current', 'check'])),
  maxRememberedProofs: z._default(z.int().check(z.minimum(1), z.maximum(100_000_000)), 200_000),
  clock: clockOption,
});

const refuse = (message: string, reason: string, claim?: string): never => {
  throw new DpopProofError(message, { reason, claim });
};

/**
 * A verifier of DPoP proofs (RFC 9449), as strict as core's token verify: a size cap, canonical
 * base64url, strict JSON, `typ: dpop+jwt`, an asymmetric `alg` from the allow-list, a public `jwk`
 * header (a private member is an error) that passes the weak-key rules, the signature, `htm`, `htu`
 * (no query, no fragment, RFC 3986 normalisation), `iat` within `maxAge`, `ath` of the presented
 * access token, the server's `nonce` when one is required, and a `jti` accepted once per key.
 *
 * @example
 * ```ts
 * const dpop = createDpopVerifier();
 * const proof = await dpop.verify(request.headers.get('dpop') ?? '', { method: 'GET', url: request.url, accessToken });
 * ```
 */
export function createDpopVerifier(options: DpopVerifierOptions = {}): DpopVerifier {
  const parsed = z.safeParse(schema, options);
  if (!parsed.success) throw optionsError(parsed.error, 'DPoP verifier options');
  const o = parsed.data;
  const clock = checkedClock(o.clock);
  const replay = o.replay ?? new MemoryReplayCache(o.maxRememberedProofs, clock);
  const accepted = new Set<string>(o.algorithms);
  const maxAgeMs = o.maxAge * 1000;
  const toleranceMs = o.clockTolerance * 1000;

  /** The imported key of a proof's `jwk`, checked by the weak-key rules (cached by header, below). */
  function keyOf(jwk: unknown, alg: Algorithm): Maybe<{ entry: KeyEntry; members: Record<string, string> }> {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      return refuse('the proof has no "jwk" header', 'jwk_missing', 'jwk');
    }
    const record = jwk as Record<string, unknown>;
    // Security: a proof that carries a private key hands it to whoever sees the request.
    if (hasPrivateMember(record)) refuse('the proof\'s "jwk" holds a private key', 'jwk_private', 'jwk');
    const members =
      publicMembersOf(record, 1024) ??
      refuse('the proof\'s "jwk" is not a complete public key', 'jwk_invalid', 'jwk');
    let imported: Maybe<KeyEntry>;
    try {
      imported = importKey({ ...members, kid: 'dpop', alg } as unknown as Jwk, 'verify', 'jwk');
    } catch (error) {
      return refusedKey(error);
    }
    return isPromise(imported)
      ? imported.then((entry) => ({ entry, members }), refusedKey)
      : { entry: imported, members };
  }

  /** Proof keys by header segment (only headers that fully validated), and normalised URIs. */
  const proofKeys = new Map<string, ProofKey>();
  const htus = new Map<string, string | undefined>();

  function htuOf(text: string): string | undefined {
    let normal = htus.get(text);
    if (normal === undefined && !htus.has(text)) {
      normal = normalizeHtu(text);
      if (htus.size >= KEY_CACHE_ENTRIES) htus.clear();
      htus.set(text, normal);
    }
    return normal;
  }

  /** The key a proof header names, checked: parameters, `typ`, `alg`, the `jwk` and its thumbprint. */
  function proofKeyOf(headerText: string): Maybe<ProofKey> {
    const header = strictObject(headerText, 'header');
    for (const name of Object.keys(header)) {
      if (!HEADER_PARAMETERS.has(name)) {
        refuse(
          `header parameter "${printable(name)}" is not accepted in a proof`,
          'header_parameter',
          printable(name),
        );
      }
    }
    if (typeof header['typ'] !== 'string' || header['typ'].toLowerCase() !== 'dpop+jwt') {
      refuse('the proof is not a DPoP proof (typ must be "dpop+jwt")', 'typ', 'typ');
    }
    const alg = header['alg'];
    // Security: asymmetric algorithms only, from the allow-list; `none` and HS256 never get this far.
    if (typeof alg !== 'string' || !accepted.has(alg))
      refuse("the proof's algorithm is not accepted", 'alg', 'alg');
    return andThen(keyOf(header['jwk'], alg as Algorithm), ({ entry, members }) => {
      const thumbprint =
        jwkThumbprint(members) ?? refuse('the proof\'s "jwk" has no thumbprint', 'jwk_invalid', 'jwk');
      return andThen(thumbprint, (jkt) => {
        const key = { entry, jkt };
        if (proofKeys.size >= KEY_CACHE_ENTRIES) proofKeys.clear();
        proofKeys.set(headerText, key);
        return key;
      });
    });
  }

  async function verify(proof: string, request: DpopRequest): Promise<VerifiedDpopProof> {
    if (typeof request !== 'object' || request === null) {
      throw new ConfigError('dpop.verify: the request must be an object', { reason: 'invalid_request' });
    }
    // Security: cap the size and the alphabet before any parsing or crypto work.
    if (typeof proof !== 'string' || proof.length === 0) refuse('no DPoP proof', 'missing');
    if (proof.length > o.maxProofBytes) refuse('the DPoP proof is larger than allowed', 'too_large');
    if (platform.bytes.utf8Length(proof) !== proof.length) refuse('the DPoP proof is not ASCII', 'not_ascii');
    const segments = proof.split('.');
    if (segments.length !== 3 || segments.some((segment) => segment.length === 0)) {
      refuse('the DPoP proof must have three non-empty segments', 'structure');
    }
    const [headerText, payloadText, signatureText] = segments as [string, string, string];
    if (!isCanonicalBase64url(payloadText) || !isCanonicalBase64url(signatureText)) {
      refuse('the proof is not canonical base64url', 'encoding');
    }
    // A client sends the same header with every proof: its key, checked once, is kept by header.
    const known = proofKeys.get(headerText);
    const keyAnswer = known ?? proofKeyOf(headerText);
    const { entry, jkt } = isPromise(keyAnswer) ? await keyAnswer : keyAnswer;
    if (signatureText.length !== entry.signatureChars)
      refuse("the proof's signature has the wrong length", 'signature');
    const signed = entry.verify(proof, headerText.length + payloadText.length + 1);
    if (!(signed === true || (signed !== false && (await signed))))
      refuse("the proof's signature does not verify", 'signature');

    // The claims, now that they are authentic.
    const claims = strictObject(payloadText, 'payload');
    const { jti, htm, htu, iat, ath, nonce } = claims;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
      refuse('the proof has no valid "jti"', 'jti', 'jti');
    if (typeof htm !== 'string' || htm !== request.method)
      refuse('the proof is for another HTTP method', 'htm', 'htm');
    const expectedHtu = htuOf(request.url);
    if (expectedHtu === undefined) {
      throw new ConfigError('dpop.verify: the request url must be an absolute http(s) URI', {
        reason: 'invalid_request',
      });
    }
    if (typeof htu !== 'string' || htuOf(htu) !== expectedHtu)
      refuse('the proof is for another URI', 'htu', 'htu');
    const now = clock();
    if (!Number.isSafeInteger(iat)) refuse('the proof has no integer "iat"', 'iat', 'iat');
    const issuedAt = (iat as number) * 1000;
    if (issuedAt > now + toleranceMs) refuse('the proof was made in the future', 'iat_future', 'iat');
    if (now - issuedAt > maxAgeMs) refuse('the proof is too old', 'iat_expired', 'iat');
    if (request.accessToken === undefined) {
      if (ath !== undefined) refuse('the proof names an access token, and none was presented', 'ath', 'ath');
    } else {
      const digest = cryptoPlatform.sha256(request.accessToken);
      const expected = isPromise(digest) ? await digest : digest;
      if (typeof ath !== 'string' || !cryptoPlatform.equalText(ath, expected)) {
        refuse('the proof is not for the presented access token', 'ath', 'ath');
      }
    }
    if (request.requireNonce === true) {
      if (o.nonces === undefined) {
        throw new ConfigError('dpop.verify: requireNonce needs the nonces option', { reason: 'no_nonces' });
      }
      if (!(typeof nonce === 'string' && (await o.nonces.check(nonce)))) {
        refuse('the server requires its current DPoP nonce', 'use_dpop_nonce', 'nonce');
      }
    }
    let first: boolean;
    try {
      // Remembered until the proof's window closes: after it, the iat check refuses the proof anyway.
      const ttlMs = Math.max(1, issuedAt + maxAgeMs + toleranceMs - now);
      const answer = replay.remember(`${jkt}.${jti as string}`, ttlMs);
      first = isPromise(answer) ? await answer : answer;
    } catch (error) {
      // Fail closed: a proof that cannot be checked for replay is never accepted.
      if (error instanceof TesseraError) throw error;
      throw new UnavailableError('the DPoP replay cache cannot answer', {
        reason: 'replay_cache',
        cause: scrubbedCause(error),
      });
    }
    if (!first) refuse('the DPoP proof was used before', 'replayed', 'jti');
    return Object.freeze({ jkt, jti: jti as string, iat: iat as number });
  }

  return Object.freeze({ algorithms: Object.freeze([...o.algorithms]), verify });
}

/** A segment as a strict JSON object, or the refusal. */
function strictObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (!isCanonicalBase64url(segment))
    refuse(`the proof ${part} is not canonical base64url`, `${part}_encoding`);
  const parsed = parseStrictJsonObject(platform.bytes.fromBase64url(segment));
  if (!parsed.ok)
    refuse(`the proof ${part} is not a strict JSON object (${parsed.failure})`, `${part}_${parsed.failure}`);
  return (parsed as { value: Record<string, unknown> }).value;
}

/** A proof key the import refused (weak, of the wrong type, invalid): the proof's fault, never ours. */
function refusedKey(error: unknown): never {
  const reason = error instanceof ConfigError ? error.reason : undefined;
  return refuse(
    `the proof's "jwk" is not acceptable${reason === undefined ? '' : ` (${reason})`}`,
    reason === 'weak_key' ? 'jwk_weak' : 'jwk_invalid',
    'jwk',
  );
}
