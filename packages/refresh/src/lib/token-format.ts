import { platform, SIX_BITS, sha256Name } from '@tessera/core/internal';

/**
 * The refresh token: `rt1.<secretId>.<sessionId>.<generation>.<nonce>.<mac>`, or `rd1.` and the
 * same for a session bound to a DPoP key.
 *
 * - `rt1` versions the format; `rd1` is the same format for a DPoP-bound session. The MAC covers the
 *   prefix, so the mark cannot be removed: the service knows a token is bound before the store
 *   answers, and refuses a rotation the store does not vouch for with the request's key (a store
 *   that ignored bindings could not turn a bound session back into a bearer one);
 * - `secretId` names the MAC secret, so secrets rotate while older sessions keep working;
 * - `sessionId` names the session (token family): an 11-character owner tag (so every key of one
 *   user lands in one Redis Cluster slot) and 128 random bits;
 * - `generation` counts rotations (decimal, no leading zeros);
 * - `nonce` is 256 random bits, fixed for the session; the store keeps only its SHA-256;
 * - `mac` is HMAC-SHA256 over everything before it.
 *
 * Security: the MAC rejects garbage and forgeries before any store access, so a forged token that
 * names a real session can never change it. The store holds the nonce's hash and the generation, and
 * the secret lives only in the process: neither a store dump nor a leaked secret alone yields a token.
 * The successor of a token is a pure function of the token and the secret, which is what lets a
 * retry within the grace window get the same successor without the store ever holding it.
 */
export const TOKEN_VERSION = 'rt1';
/** The prefix of a DPoP-bound session's tokens (same format). */
export const BOUND_TOKEN_VERSION = 'rd1';
const MAX_TOKEN_LENGTH = 256;
const SESSION_ID_LENGTH = 33;
/** 256 bits in unpadded base64url. */
const B64URL_256_LENGTH = 43;
/** Length of {@link nonceDigest}: the Redis store's layout has a fixed 22-byte slot for it. */
export const NONCE_DIGEST_LENGTH = 22;
export const SECRET_ID = /^[A-Za-z0-9_-]{1,16}$/;

export interface ParsedToken {
  readonly secretId: string;
  readonly sessionId: string;
  readonly generation: number;
  readonly nonce: string;
  /** True for a DPoP-bound session's token (`rd1`). */
  readonly bound: boolean;
}

export interface MacSecret {
  readonly id: string;
  /** HMAC-SHA256 of a token body under this secret, base64url (the platform's `hmacSha256`). */
  readonly mac: (body: string) => string;
}

function body(
  secretId: string,
  sessionId: string,
  generation: number,
  nonce: string,
  bound: boolean,
): string {
  return `${bound ? BOUND_TOKEN_VERSION : TOKEN_VERSION}.${secretId}.${sessionId}.${generation}.${nonce}`;
}

/** Builds the token of one generation of a session (`bound`: of a DPoP-bound session). */
export function formatToken(
  secret: MacSecret,
  sessionId: string,
  generation: number,
  nonce: string,
  bound = false,
): string {
  const text = body(secret.id, sessionId, generation, nonce, bound);
  return `${text}.${secret.mac(text)}`;
}

/** A token's fields as written, before any MAC check: what {@link readToken} returns. */
export interface TokenFields extends ParsedToken {
  /** Everything before the last dot: the bytes the MAC covers. */
  readonly signed: string;
  readonly mac: string;
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const MAX_SECRET_ID = 16;
const MAX_GENERATION_DIGITS = 16;
const PREFIX = `${TOKEN_VERSION}.`;
const BOUND_PREFIX = `${BOUND_TOKEN_VERSION}.`;

/**
 * The syntax layer of {@link parseToken}: `rt1.<secretId>.<sessionId>.<generation>.<nonce>.<mac>`
 * (or `rd1.` and the same)
 * with a 1-16 character secret id (no dot), a 33-character base64url session id, a decimal
 * generation without leading zeros (at most 16 digits), and a 43-character base64url nonce and MAC.
 * Undefined for anything else.
 *
 * Written as index checks over the token itself rather than `split` and regexes: scanning
 * substrings costs ten times as much here, and this runs on every rotation. A property test holds it
 * to the regex reference (test/lib/token-format.test.ts).
 */
export function readToken(token: unknown): TokenFields | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const bound = token.startsWith(BOUND_PREFIX);
  if (!bound && !token.startsWith(PREFIX)) return undefined;
  const secretStart = PREFIX.length;
  const secretEnd = token.indexOf('.', secretStart);
  if (secretEnd <= secretStart || secretEnd - secretStart > MAX_SECRET_ID) return undefined;
  const sessionStart = secretEnd + 1;
  const sessionEnd = sessionStart + SESSION_ID_LENGTH;
  if (token.charCodeAt(sessionEnd) !== DOT || !isBase64urlAt(token, sessionStart, sessionEnd))
    return undefined;
  const generationStart = sessionEnd + 1;
  // What follows the generation is fixed: `.<nonce>.<mac>`.
  const generationEnd = token.length - 2 * (B64URL_256_LENGTH + 1);
  const digits = generationEnd - generationStart;
  if (digits < 1 || digits > MAX_GENERATION_DIGITS || !isDecimalAt(token, generationStart, generationEnd))
    return undefined;
  if (digits > 1 && token.charCodeAt(generationStart) === ZERO) return undefined;
  const nonceStart = generationEnd + 1;
  const macStart = nonceStart + B64URL_256_LENGTH + 1;
  if (token.charCodeAt(generationEnd) !== DOT || token.charCodeAt(macStart - 1) !== DOT) return undefined;
  if (!isBase64urlAt(token, nonceStart, macStart - 1) || !isBase64urlAt(token, macStart, token.length))
    return undefined;
  const generation = Number(token.slice(generationStart, generationEnd));
  if (!Number.isSafeInteger(generation)) return undefined;
  return {
    secretId: token.slice(secretStart, secretEnd),
    sessionId: token.slice(sessionStart, sessionEnd),
    generation,
    nonce: token.slice(nonceStart, macStart - 1),
    bound,
    signed: token.slice(0, macStart - 1),
    mac: token.slice(macStart),
  };
}

/** A token whose MAC checked out, with the secret that checked it (to MAC its successor). */
export interface AuthenticatedToken extends ParsedToken {
  readonly secret: MacSecret;
}

/**
 * Parses and authenticates a token. Returns undefined for anything malformed, of an unknown secret,
 * or with a wrong MAC (compared in constant time). Never touches a store.
 */
export function parseToken(
  token: unknown,
  secrets: ReadonlyMap<string, MacSecret>,
): AuthenticatedToken | undefined {
  const fields = readToken(token);
  if (fields === undefined) return undefined;
  const secret = secrets.get(fields.secretId);
  if (secret === undefined || !platform.equalText(secret.mac(fields.signed), fields.mac)) return undefined;
  return {
    secretId: fields.secretId,
    sessionId: fields.sessionId,
    generation: fields.generation,
    nonce: fields.nonce,
    bound: fields.bound,
    secret,
  };
}

/** True when `text[from, to)` is base64url (a char code past 127 indexes past the table: rejected). */
function isBase64urlAt(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!((SIX_BITS[text.charCodeAt(i)] ?? -1) >= 0)) return false;
  return true;
}

function isDecimalAt(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < ZERO || code > NINE) return false;
  }
  return true;
}

/** Length of an owner tag, the start of both a session id and an owner's name. */
const TAG_LENGTH = 11;
/** Length of the random part of a session id, after its owner tag (128 bits, base64url). */
export const SESSION_SUFFIX_LENGTH = SESSION_ID_LENGTH - TAG_LENGTH;

/**
 * How a user appears in store keys (any bytes in, a fixed length out): 22 base64url characters of
 * SHA-256(sub), 132 bits. The first 11 are the owner tag: not secret, it only groups keys by user.
 */
export function ownerName(sub: string): { readonly tag: string; readonly rest: string } {
  const digest = sha256Name(sub, 2 * TAG_LENGTH);
  return { tag: digest.slice(0, TAG_LENGTH), rest: digest.slice(TAG_LENGTH, 2 * TAG_LENGTH) };
}

/** The owner tag of `sub` (see {@link ownerName}). */
export function ownerTag(sub: string): string {
  return ownerName(sub).tag;
}

/** A new session id for `sub`: its owner tag followed by 128 random bits. */
export function newSessionId(sub: string): string {
  return ownerTag(sub) + platform.randomToken(16);
}

/** The owner tag embedded in a session id. */
export function tagOfSession(sessionId: string): string {
  return sessionId.slice(0, TAG_LENGTH);
}

/** The random part of a session id, after its owner tag. */
export function suffixOfSession(sessionId: string): string {
  return sessionId.slice(TAG_LENGTH);
}

export function newNonce(): string {
  return platform.randomToken(32);
}

/**
 * What the store keeps of the nonce: the first 22 base64url characters of its SHA-256 (132 bits:
 * enough to tell nonces apart, useless to rebuild one). One-shot `crypto.hash` straight to
 * base64url: this runs on every rotation.
 */
export function nonceDigest(nonce: string): string {
  return sha256Name(nonce, NONCE_DIGEST_LENGTH);
}
