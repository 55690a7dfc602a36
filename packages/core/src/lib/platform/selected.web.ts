import { ConfigError } from '../../errors.js';
import { webPlatform } from './platform.web.js';
import type { Platform } from './port.js';

/**
 * What `#platform` means where Node's APIs are missing (the `workerd`, `worker`, `edge-light`,
 * `browser`, `deno` and `bun` conditions of core's package.json): WebCrypto.
 */
export const cryptoPlatform: Platform = webPlatform;

const needsNode = (): never => {
  throw new ConfigError('this package needs synchronous crypto (node:crypto); only @tessera/core runs here', {
    reason: 'needs_node',
  });
};

/**
 * The synchronous view that the Redis-backed packages (refresh, denylist, sessions) use. They run on
 * Node only (ioredis), so here their synchronous crypto refuses loudly rather than answering promises.
 */
export const platform: Platform<true> = Object.freeze({
  ...webPlatform,
  synchronous: true,
  sha256: needsNode,
  hmacSha256: needsNode,
  importKey: needsNode,
  signer: needsNode,
  verifier: needsNode,
});
