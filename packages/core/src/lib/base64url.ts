import { SIX_BITS } from './base64url-alphabet.js';
import { platform } from './platform/index.js';

/**
 * Canonical unpadded base64url (RFC 7515 section 2 / RFC 4648 section 5).
 *
 * Security: Node's decoder is lenient (it skips unknown characters, accepts `+`, `/` and padding,
 * and ignores non-zero trailing bits), so one byte string has many spellings. A signature or claim
 * set must have exactly one, or "any tampered character is rejected" does not hold. We accept only
 * the alphabet, no padding, no impossible lengths and zero trailing bits.
 */
const ALPHABET = /^[A-Za-z0-9_-]+$/;

/** True when `text` is non-empty canonical unpadded base64url. */
export function isCanonicalBase64url(text: string): boolean {
  const length = text.length;
  const remainder = length & 3;
  if (length === 0 || remainder === 1 || !ALPHABET.test(text)) return false;
  if (remainder === 0) return true;
  // The last character holds 4 (remainder 2) or 2 (remainder 3) bits that encode nothing: they must be zero.
  const last = SIX_BITS[text.charCodeAt(length - 1)]!;
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Decodes canonical base64url `text` into `target` and returns the byte count, or -1 when `text` is
 * not canonical (or does not fit).
 *
 * `text` MUST be ASCII (the verifier checks the whole token first): Node's decoder maps some
 * non-ASCII characters onto ASCII ones. The platform's decoder writes fewer bytes for a character
 * outside the alphabet, so such a character shows as a short output; Node's also accepts the
 * standard alphabet's `+` and `/`, and ignores trailing bits, which we check. This costs half a
 * decode-and-re-encode round trip.
 */
export function decodeCanonicalBase64url(text: string, target: Uint8Array): number {
  const length = text.length;
  const expected = (length * 3) >> 2;
  const remainder = length & 3;
  if (length === 0 || remainder === 1 || expected > target.length) return -1;
  if (platform.bytes.decodeBase64urlInto(text, target) !== expected) return -1;
  if (text.indexOf('+') !== -1 || text.indexOf('/') !== -1) return -1;
  if (remainder === 0) return expected;
  const last = SIX_BITS[text.charCodeAt(length - 1)]!;
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0 ? expected : -1;
}

/** The length in characters of `bytes` bytes encoded as unpadded base64url. */
export function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}
