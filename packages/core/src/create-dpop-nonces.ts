import { ConfigError } from './errors.js';
import { checkedClock } from './lib/clock.js';
import { secretWeakness } from './lib/key-strength.js';
import { andThen, type Maybe } from './lib/maybe.js';
import { cryptoPlatform } from './lib/platform/index.js';

/** Options of {@link createDpopNonces}. */
export interface DpopNoncesOptions {
  /**
   * The secret that makes nonces unforgeable: at least 32 bytes from a CSPRNG, the same on every
   * instance of a fleet (any instance accepts the nonce another gave).
   */
  readonly secret: Uint8Array;
  /** How long a nonce is current, in seconds (default 300, 10 to 86,400); the previous one stays valid as long again. */
  readonly period?: number;
  /** Current time in ms. Default `Date.now`. */
  readonly clock?: () => number;
}

/** Server nonces for DPoP (RFC 9449 section 8), from {@link createDpopNonces}. */
export interface DpopNonces {
  /** The nonce to send now (`DPoP-Nonce` header). */
  current(): Promise<string>;
  /** True for the current or the previous period's nonce; false for anything else. */
  check(nonce: string): Promise<boolean>;
}

/**
 * Stateless, rotating DPoP nonces: a nonce names its period and carries an HMAC of it under a shared
 * secret, so every instance of a fleet gives and accepts the same nonces with no store. A nonce is
 * current for `period` seconds and accepted for one period more (a client that just fetched one is
 * never refused); anything older, or forged, answers `use_dpop_nonce`.
 *
 * @example
 * ```ts
 * const nonces = createDpopNonces({ secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const dpop = createDpopVerifier({ nonces });
 * ```
 */
export function createDpopNonces(options: DpopNoncesOptions): DpopNonces {
  const { secret, period = 300, clock: rawClock } = options ?? ({} as DpopNoncesOptions);
  if (!(secret instanceof Uint8Array)) {
    throw new ConfigError('DPoP nonces: secret must be a Uint8Array of at least 32 bytes', {
      reason: 'invalid_options',
      claim: 'secret',
    });
  }
  const weakness = secretWeakness(secret);
  if (weakness !== undefined) {
    throw new ConfigError(`DPoP nonces: the secret is ${weakness}`, {
      reason: 'weak_secret',
      claim: 'secret',
    });
  }
  if (!(Number.isInteger(period) && period >= 10 && period <= 86_400)) {
    throw new ConfigError('DPoP nonces: period must be an integer from 10 to 86,400 seconds', {
      reason: 'invalid_options',
      claim: 'period',
    });
  }
  const clock = checkedClock(rawClock);
  const mac = cryptoPlatform.hmacSha256(secret);
  const periodMs = period * 1000;
  const nonceOf = (slot: number): Maybe<string> =>
    andThen(mac(`tessera-dpop-nonce.${slot}`), (tag) => `${slot.toString(36)}.${tag.slice(0, 22)}`);
  return Object.freeze({
    current: async () => nonceOf(Math.floor(clock() / periodMs)),
    async check(nonce: string): Promise<boolean> {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const match = /^([0-9a-z]{1,11})\.[A-Za-z0-9_-]{22}$/.exec(nonce);
      if (match === null) return false;
      const slot = Number.parseInt(match[1]!, 36);
      const now = Math.floor(clock() / periodMs);
      if (slot !== now && slot !== now - 1) return false;
      return cryptoPlatform.equalText(await nonceOf(slot), nonce);
    },
  });
}
