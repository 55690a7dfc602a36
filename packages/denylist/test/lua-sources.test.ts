import { describe } from 'vitest';
import { describeLuaSources } from '../../../test/support/lua-sources.js';

describe('the denylist scripts', () => describeLuaSources('denylist'));
