/**
 * `@tessera/core/internal`: shared rules for the other `@tessera` packages. Not part of the public
 * API: no semver promise, do not import it from an application.
 * @internal
 * @packageDocumentation
 */
export { secretWeakness } from './lib/key-strength.js';
