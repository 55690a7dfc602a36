import type { VerifiedDpopProof } from './create-dpop-verifier.js';
import {
  ConfigError,
  DpopProofError,
  TesseraError,
  TokenClaimsError,
  TokenMalformedError,
  TokenSignatureError,
  UnavailableError,
} from './errors.js';
import { decodeCanonicalBase64url } from './lib/base64url.js';
import { checkAudience, checkAuthAge, checkScope, checkTokenClaims } from './lib/claims.js';
import { createHeaderResolver } from './lib/header.js';
import { buildClaims } from './lib/issue-claims.js';
import { importKeySet, type KeyRing } from './lib/key-set.js';
import { isPromise, type Maybe } from './lib/maybe.js';
import { type ResolvedOptions, resolveOptions } from './lib/options.js';
import { cryptoPlatform, platform } from './lib/platform/index.js';
import type { RemoteKeySource } from './lib/remote-jwks.js';
import { scrubbedCause } from './lib/scrub.js';
import { checkKeys, parseStrictJsonObject } from './lib/strict-json.js';
import { withSubject } from './lib/subject.js';
import { VerifiedTokenCache } from './lib/verified-cache.js';
import { checkVerifyOptions } from './lib/verify-options.js';
import type {
  AccessTokenClaims,
  AccessTokens,
  AccessTokensOptions,
  IssuedAccessToken,
  IssueInput,
  JwkSet,
  VerifyOptions,
} from './types.js';

/**
 * Creates an access-token service: `issue`, `verify` and `jwks`.
 *
 * Options are validated once, here (`ERR_CONFIG`); the returned functions do no option parsing.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('EdDSA', { kid: 'k1' });
 * const tokens = createAccessTokens({ issuer: 'https://auth.example', audience: 'api', keys: { sign: key } });
 * const { token } = tokens.issue({ sub: 'user-1', scope: 'read' });
 * const claims = await tokens.verify(token, { scope: 'read' });
 * ```
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const config = resolveOptions(options);
  const importing = importKeySet(config.keys, config.remote);
  // Node imports the keys now: the service is built on them directly.
  if (!isPromise(importing)) return serviceFor(config, importing, IMPORTED);
  // WebCrypto imports later: a service whose calls wait for the keys, then delegate.
  let service: AccessTokens | undefined;
  const ready = importing.then((keys) => {
    service = serviceFor(config, keys, ready);
  });
  // Reported by ready(), verify and issueAsync; never an unhandled rejection meanwhile.
  ready.catch(() => undefined);
  const notYet = (): never => {
    throw new ConfigError('the keys are still being imported (WebCrypto): await ready() first', {
      reason: 'not_ready',
    });
  };
  return Object.freeze({
    issue: (input: IssueInput) => (service ?? asynchronousSigning()).issue(input),
    issueAsync: async (input: IssueInput) => {
      await ready;
      return service!.issueAsync(input);
    },
    verify: async (token: string, verifyOptions?: VerifyOptions) => {
      if (service === undefined) await ready;
      return service!.verify(token, verifyOptions);
    },
    jwks: () => (service ?? notYet()).jwks(),
    ready: () => ready,
  });
}

const IMPORTED = Promise.resolve();

function asynchronousSigning(): never {
  throw new ConfigError('this platform signs asynchronously (WebCrypto): use issueAsync', {
    reason: 'async_platform',
  });
}

/** The service on imported keys. Every binding is constant: the hot paths read nothing that changes. */
function serviceFor(config: ResolvedOptions, keys: KeyRing, ready: Promise<void>): AccessTokens {
  const { issuer, audiences, ttl, clockTolerance, maxTokenBytes, revocation, clock, remote, dpop } = config;
  const toleranceMs = clockTolerance * 1000;
  const cache = config.cacheEntries > 0 ? new VerifiedTokenCache(config.cacheEntries) : undefined;
  const policy = {
    issuer,
    ttl: config.maxLifetime,
    clockTolerance,
    requireClientId: config.requireClientId,
    requireJti: config.requireJti,
    fractionalDates: config.fractionalDates,
  };
  // A frozen copy: issued claims share it, and must not be able to change the configuration.
  const issuePolicy = {
    issuer,
    ttl,
    clockTolerance,
    clientId: config.clientId,
    aud: audiences.length === 1 ? audiences[0]! : Object.freeze([...audiences]),
  };
  const resolveHeader = createHeaderResolver(keys, config.acceptedTyp);
  const signing = keys.signing;
  const headerSegment =
    signing === undefined
      ? ''
      : platform.bytes.toBase64url(JSON.stringify({ alg: signing.alg, kid: signing.kid, typ: 'at+jwt' }));
  const publicKeys: JwkSet = Object.freeze({
    keys: Object.freeze(
      [...keys.configured()].flatMap((entry) => (entry.publicJwk ? [entry.publicJwk] : [])),
    ),
  });

  // Scratch space for the decoded claims. On Node verification is synchronous up to the revocation
  // check, so one buffer per instance is never shared by two calls in flight; where the signature
  // check answers later (WebCrypto), the claims are copied out before the wait (see verifyToken).
  const payloadBytes = platform.bytes.alloc(maxTokenBytes);

  /** Every check that depends only on the token and the time; the result may be cached until `exp`. */
  function verifyToken(token: string, nowMs: number): Maybe<AccessTokenClaims> {
    if (typeof token !== 'string') throw malformed('the token must be a string', 'not_string');
    // Security: cap the size before any parsing or crypto work.
    if (token.length > maxTokenBytes) throw malformed('the token is larger than allowed', 'too_large');
    // Security: ASCII only. Node's base64 decoder and latin1 encoder both map some other characters onto
    // ASCII ones, which would let two spellings of one token verify.
    if (platform.bytes.utf8Length(token) !== token.length)
      throw malformed('the token is not ASCII', 'not_ascii');
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (
      firstDot <= 0 ||
      secondDot <= firstDot + 1 ||
      secondDot === token.length - 1 ||
      token.indexOf('.', secondDot + 1) !== -1
    ) {
      throw malformed('the token must have three non-empty segments', 'structure');
    }
    const key = resolveHeader(token.slice(0, firstDot));
    // Canonical encodings only, so every token has exactly one spelling; checked before the crypto work.
    const payloadLength = decodeCanonicalBase64url(token.slice(firstDot + 1, secondDot), payloadBytes);
    if (payloadLength < 0) throw malformed('the payload is not canonical base64url', 'payload_encoding');
    if (token.length - secondDot - 1 !== key.signatureChars) {
      throw new TokenSignatureError('the signature has the wrong length for its key', {
        reason: 'signature_encoding',
      });
    }
    const verified = key.verify(token, secondDot);
    if (verified === true) return authenticClaims(payloadBytes, payloadLength, nowMs);
    if (verified === false) throw badSignature();
    // WebCrypto answers later, and another call may reuse the scratch buffer meanwhile: keep a copy.
    const payload = payloadBytes.slice(0, payloadLength);
    return verified.then((ok) => {
      if (!ok) throw badSignature();
      return authenticClaims(payload, payloadLength, nowMs);
    });
  }

  /** The claims of a token whose signature verified: parsed only now, once they are authentic. */
  function authenticClaims(bytes: Uint8Array, length: number, nowMs: number): AccessTokenClaims {
    const parsed = parseStrictJsonObject(bytes, length);
    if (!parsed.ok)
      throw malformed(
        `the claims are not a strict JSON object (${parsed.failure})`,
        `payload_${parsed.failure}`,
      );
    try {
      checkTokenClaims(parsed.value, policy, nowMs);
    } catch (error) {
      // Authentic from here on: the refusal may name its subject (for monitoring).
      throw withSubject(error, parsed.value['sub']);
    }
    return parsed.value as AccessTokenClaims; // frozen by the strict parse
  }

  function verify(token: string, verifyOptions?: VerifyOptions): Promise<AccessTokenClaims> {
    if (verifyOptions !== undefined) {
      // Refusals are rejections, never throws: verify always answers a promise.
      try {
        checkVerifyOptions(verifyOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      if (verifyOptions.dpop !== undefined) return verifyWithProof(token, verifyOptions, verifyOptions.dpop);
    }
    return verifyPresented(token, verifyOptions, undefined);
  }

  /** A DPoP proof is checked before the token (RFC 9449 section 7.1: proof, then binding). */
  async function verifyWithProof(
    token: string,
    verifyOptions: VerifyOptions,
    presented: NonNullable<VerifyOptions['dpop']>,
  ): Promise<AccessTokenClaims> {
    return verifyPresented(token, verifyOptions, await verifyProof(token, presented));
  }

  async function verifyPresented(
    token: string,
    verifyOptions: VerifyOptions | undefined,
    proof: VerifiedDpopProof | undefined,
  ): Promise<AccessTokenClaims> {
    // A remote set past its freshness refreshes in the background; only with no usable key is there a wait.
    if (remote !== undefined && remote.settings.clock() >= remote.checkAt) {
      const pending = remote.maintain();
      if (pending !== undefined) await pending;
    }
    const nowMs = clock();
    let claims = cache?.get(token, nowMs);
    if (claims === undefined) {
      try {
        const answer = verifyToken(token, nowMs);
        claims = answer instanceof Promise ? await answer : answer;
      } catch (error) {
        if (remote === undefined || !isUnknownKey(error)) throw error;
        claims = await verifyAfterRefetch(remote, token, error);
      }
      cache?.set(token, claims, claims.exp * 1000);
    }
    try {
      checkPolicy(claims, verifyOptions, nowMs);
      if (claims.cnf !== undefined || proof !== undefined) checkBinding(claims, proof);
    } catch (error) {
      throw withSubject(error, claims.sub);
    }
    if (revocation !== undefined) {
      try {
        // A synchronous check (the denylist's) costs no extra microtask: await only a thenable.
        const pending = revocation.check(claims);
        if (pending !== undefined) await pending;
      } catch (error) {
        // Fail closed: a revocation source that breaks is an outage, never an accept.
        if (error instanceof TesseraError) throw withSubject(error, claims.sub);
        throw new UnavailableError('the revocation check failed', {
          reason: 'revocation_check',
          cause: scrubbedCause(error),
        });
      }
    }
    return claims;
  }

  /** The per-call checks: audience, and what `verifyOptions` asks (scope, authentication age). */
  function checkPolicy(claims: AccessTokenClaims, verifyOptions: VerifyOptions | undefined, nowMs: number) {
    if (verifyOptions === undefined) {
      checkAudience(claims, audiences);
    } else {
      checkAudience(
        claims,
        verifyOptions.audience === undefined ? audiences : toList(verifyOptions.audience),
      );
      if (verifyOptions.scope !== undefined) checkScope(claims, verifyOptions.scope);
      if (verifyOptions.maxAuthAge !== undefined)
        checkAuthAge(claims, verifyOptions.maxAuthAge, nowMs, toleranceMs);
    }
  }

  function verifyProof(
    token: string,
    presented: NonNullable<VerifyOptions['dpop']>,
  ): Promise<VerifiedDpopProof> {
    if (dpop === undefined) {
      throw new ConfigError(
        'verify options: dpop needs a DPoP verifier (the dpop option of createAccessTokens)',
        {
          reason: 'no_dpop_verifier',
          claim: 'dpop',
        },
      );
    }
    const { proof, method, url, requireNonce } = presented;
    return dpop.verify(proof, {
      method,
      url,
      accessToken: token,
      ...(requireNonce === undefined ? {} : { requireNonce }),
    });
  }

  /**
   * Security: a DPoP-bound token is only good with a proof by its key (RFC 9449 section 7.1): never
   * as a bearer token, never with another key's proof. A proof beside an unbound token binds nothing.
   */
  function checkBinding(claims: AccessTokenClaims, proof: VerifiedDpopProof | undefined): void {
    const bound = claims.cnf?.jkt;
    if (bound === undefined) {
      throw new DpopProofError('the token is not bound to a DPoP key', {
        reason: 'token_not_bound',
        claim: 'cnf',
      });
    }
    if (proof === undefined) {
      throw new DpopProofError('the token is DPoP-bound: present it with a proof of its key', {
        reason: 'proof_required',
        claim: 'cnf',
      });
    }
    if (!cryptoPlatform.equalText(proof.jkt, bound)) {
      throw new DpopProofError('the proof is by another key than the token is bound to', {
        reason: 'key_mismatch',
        claim: 'cnf',
      });
    }
  }

  /**
   * A token whose key the remote set lacks: the set is refetched (at most once per cool-down, shared
   * by every request waiting) and the token verified once more. While the issuer cannot be reached,
   * the answer is `ERR_UNAVAILABLE`: the key may be a new one we cannot see yet.
   */
  async function verifyAfterRefetch(
    source: RemoteKeySource,
    token: string,
    unknown: TesseraError,
  ): Promise<AccessTokenClaims> {
    const outcome = await source.refetchForUnknownKey();
    if (outcome === 'refetched') return verifyToken(token, clock());
    if (outcome === 'failed' || source.failing) throw source.unavailable();
    throw unknown;
  }

  function issue(input: IssueInput): IssuedAccessToken {
    if (!cryptoPlatform.synchronous) asynchronousSigning();
    const { claims, signingInput, sign } = prepareIssue(input);
    return issued(claims, `${signingInput}.${sign(signingInput) as string}`);
  }

  async function issueAsync(input: IssueInput): Promise<IssuedAccessToken> {
    const { claims, signingInput, sign } = prepareIssue(input);
    return issued(claims, `${signingInput}.${await sign(signingInput)}`);
  }

  /** The claims and signing input of a new token, and the signer that completes it. */
  function prepareIssue(input: IssueInput) {
    const sign = signing?.sign;
    if (sign === undefined) {
      throw new ConfigError('this instance has no signing key (keys.sign)', { reason: 'no_signing_key' });
    }
    let claims = buildClaims(input, issuePolicy, clock());
    let json: string;
    try {
      json = JSON.stringify(claims);
    } catch {
      throw new TokenClaimsError('cannot issue: the claims are not serializable to JSON', {
        reason: 'invalid_input',
        claim: 'claims',
      });
    }
    // Custom claims must be verifiable by us: no duplicate or __proto__ keys, bounded depth.
    if (input.claims !== undefined) {
      // A fresh copy, so freezing the result never freezes the caller's objects.
      claims = JSON.parse(json) as AccessTokenClaims;
      if (checkKeys(json, claims) !== undefined) {
        // also deep-freezes the copy
        throw new TokenClaimsError('cannot issue: the custom claims are too deep or use forbidden keys', {
          reason: 'invalid_input',
          claim: 'claims',
        });
      }
    }
    return { claims, signingInput: `${headerSegment}.${platform.bytes.toBase64url(json)}`, sign };
  }

  function issued(claims: AccessTokenClaims, token: string): IssuedAccessToken {
    if (token.length > maxTokenBytes) {
      throw new TokenClaimsError(`cannot issue: the token would exceed ${maxTokenBytes} bytes`, {
        reason: 'too_large',
        claim: 'claims',
      });
    }
    return {
      token,
      claims: Object.isFrozen(claims) ? claims : Object.freeze(claims),
      expiresAt: claims.exp,
      expiresIn: claims.exp - claims.iat,
    };
  }

  return Object.freeze({ issue, issueAsync, verify, jwks: () => publicKeys, ready: () => ready });
}

function badSignature(): TokenSignatureError {
  return new TokenSignatureError('the signature does not verify', { reason: 'signature' });
}

function isUnknownKey(error: unknown): error is TesseraError {
  return error instanceof TokenSignatureError && error.reason === 'kid_unknown';
}

function malformed(message: string, reason: string): TokenMalformedError {
  return new TokenMalformedError(message, { reason });
}

function toList(audience: string | readonly string[]): readonly string[] {
  return typeof audience === 'string' ? [audience] : audience;
}
