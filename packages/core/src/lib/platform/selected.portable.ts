import type { Platform } from './port.js';

/**
 * What `#platform` means to the portable type check (`tsconfig.portable.json`, condition
 * `@tessera/portable`): some synchronous platform, with no Node types in sight. Never run.
 */
export declare const platform: Platform<true>;

/** The platform as core's token code sees it: its crypto may answer synchronously or with promises. */
export declare const cryptoPlatform: Platform;
