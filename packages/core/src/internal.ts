/**
 * `@tessera/core/internal`: the private kit of the `@tessera` packages, one copy of each shared
 * mechanism (option parsing, the clock check, call deadlines, cause scrubbing, the secret rule,
 * durable-write replies). Not part of the public API: no semver promise, do not import it from an application.
 *
 * It lives in core, re-exported here, because its errors must be core's own classes (one
 * `TesseraError` for `instanceof` across packages) and core depends on nothing of ours.
 * @internal
 * @packageDocumentation
 */

export { SIX_BITS } from './lib/base64url-alphabet.js';
export { checkedClock } from './lib/clock.js';
export { createDeadlines, type Deadlines, TimeoutError, type Tracked } from './lib/deadline.js';
export { type DurableReply, durableReply } from './lib/durable-reply.js';
export { isWellFormedId, MAX_ID_LENGTH, sha256Name } from './lib/ids.js';
export { secretWeakness } from './lib/key-strength.js';
export { fillLua } from './lib/lua-template.js';
export {
  clockOption,
  clockToleranceOption,
  functionOption,
  KEY_PREFIX,
  KEY_PREFIX_RULE,
  optionsError,
  parseOptions,
  serviceOption,
} from './lib/option-schemas.js';
export { cryptoPlatform, type Platform, platform } from './lib/platform/index.js';
export { scrubbedCause } from './lib/scrub.js';
export { withSubject } from './lib/subject.js';
export { jwkThumbprint } from './lib/thumbprint.js';
