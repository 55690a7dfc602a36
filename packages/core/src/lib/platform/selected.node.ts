import { nodePlatform } from './platform.node.js';
import type { Platform } from './port.js';

/** The platform the packages run on, chosen by the `#platform` import (core's package.json). */
export const platform: Platform<true> = nodePlatform;

/** The same platform, typed for code that runs on every platform (core's tokens: answers may be promises). */
export const cryptoPlatform: Platform = nodePlatform;
