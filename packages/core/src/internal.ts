/**
 * `@tessera/core/internal`: shared rules for the other `@tessera` packages. Not part of the public
 * API: no semver promise, do not import it from an application.
 * @internal
 * @packageDocumentation
 */
export { checkedClock } from './lib/clock.js';
export { secretWeakness } from './lib/key-strength.js';
export { scrubbedCause } from './lib/scrub.js';
