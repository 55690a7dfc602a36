/**
 * The methods `createHttpAuth` requires of `sessions` at construction are exactly the ones its source
 * calls: a list that drifted (it once required `login`, never called, and not `logoutEverywhere` or
 * `revokeSession`, which it calls) turned a missing method into a 500 at request time.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { methodsCalledOn as calledOn } from '../../../test/support/source-calls.js';
import { SESSIONS_METHODS } from '../src/lib/options.js';

describe('createHttpAuth requires exactly what it calls', () => {
  it('sessions', () => {
    expect([...SESSIONS_METHODS].sort()).toEqual(calledOn(join(import.meta.dirname, '../src'), 'sessions'));
  });
});
