/**
 * The one way library code reaches its runtime: `platform`, the implementation that the `#platform`
 * import of core's package.json selects (see port.ts).
 */
export { cryptoPlatform, platform } from '#platform';
export type { Answer, AsymmetricAlgorithm, Bytes, ImportedKey, JwkMembers, Platform } from './port.js';
