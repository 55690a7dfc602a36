import { nodePlatform } from './platform.node.js';
import type { Platform } from './port.js';

/** The platform the packages run on, chosen by the `#platform` import (core's package.json). */
export const platform: Platform<true> = nodePlatform;
