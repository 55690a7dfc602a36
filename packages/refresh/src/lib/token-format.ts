import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The refresh token: `rt1.<secretId>.<sessionId>.<generation>.<nonce>.<mac>`.
 *
 * - `rt1` versions the format;
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
const MAX_TOKEN_LENGTH = 256;
const SESSION_ID = /^[A-Za-z0-9_-]{33}$/;
const GENERATION = /^(0|[1-9][0-9]{0,15})$/;
const B64URL_256 = /^[A-Za-z0-9_-]{43}$/;
export const SECRET_ID = /^[A-Za-z0-9_-]{1,16}$/;

export interface ParsedToken {
  readonly secretId: string;
  readonly sessionId: string;
  readonly generation: number;
  readonly nonce: string;
}

export interface MacSecret {
  readonly id: string;
  readonly key: Buffer;
}

export function mac(secret: MacSecret, body: string): string {
  return createHmac('sha256', secret.key).update(body, 'latin1').digest('base64url');
}

function body(secretId: string, sessionId: string, generation: number, nonce: string): string {
  return `${TOKEN_VERSION}.${secretId}.${sessionId}.${generation}.${nonce}`;
}

/** Builds the token of one generation of a session. */
export function formatToken(secret: MacSecret, sessionId: string, generation: number, nonce: string): string {
  const text = body(secret.id, sessionId, generation, nonce);
  return `${text}.${mac(secret, text)}`;
}

/**
 * Parses and authenticates a token. Returns undefined for anything malformed, of an unknown secret,
 * or with a wrong MAC (compared in constant time). Never touches a store.
 */
export function parseToken(token: unknown, secrets: ReadonlyMap<string, MacSecret>): ParsedToken | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 6) return undefined;
  const [version, secretId, sessionId, generationText, nonce, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== TOKEN_VERSION || !SESSION_ID.test(sessionId) || !GENERATION.test(generationText))
    return undefined;
  if (!B64URL_256.test(nonce) || !B64URL_256.test(tag)) return undefined;
  const secret = secrets.get(secretId);
  if (secret === undefined) return undefined;
  const generation = Number(generationText);
  if (!Number.isSafeInteger(generation)) return undefined;
  const expected = Buffer.from(mac(secret, body(secretId, sessionId, generation, nonce)), 'latin1');
  const given = Buffer.from(tag, 'latin1');
  if (!timingSafeEqual(expected, given)) return undefined;
  return { secretId, sessionId, generation, nonce };
}

/** The owner tag: 11 base64url characters of SHA-256(sub). Not secret: it only groups keys by user. */
export function ownerTag(sub: string): string {
  return userDigest(sub).slice(0, 11);
}

/** SHA-256 of the subject, base64url: how a user appears in store keys (any bytes, fixed length). */
export function userDigest(sub: string): string {
  return hash('sha256', sub, 'base64url');
}

/** A new session id for `sub`: its owner tag followed by 128 random bits. */
export function newSessionId(sub: string): string {
  return ownerTag(sub) + randomBytes(16).toString('base64url');
}

/** The owner tag embedded in a session id. */
export function tagOfSession(sessionId: string): string {
  return sessionId.slice(0, 11);
}

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** What the store keeps of the nonce: 128 bits of its SHA-256 (enough to tell nonces apart, useless to rebuild one). */
export function nonceDigest(nonce: string): string {
  // One-shot `crypto.hash` (Node >= 20.12): half the cost of createHash for a 43-byte input.
  return hash('sha256', nonce, 'buffer').subarray(0, 16).toString('base64url');
}
