import { describe } from 'vitest';
import { describeLuaSources } from '../../../test/support/lua-sources.js';
import { LUA_VALUE_NAMES } from '../src/lib/scripts.js';

describe('the refresh store scripts', () => describeLuaSources('refresh', LUA_VALUE_NAMES));
