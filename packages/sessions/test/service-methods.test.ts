/** The methods `createSessions` requires of each service at construction are exactly the ones its source calls. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { methodsCalledOn as calledOn } from '../../../test/support/source-calls.js';
import { SERVICE_METHODS } from '../src/lib/options.js';

describe('createSessions requires exactly what it calls', () => {
  it.each(Object.entries(SERVICE_METHODS))('%s', (name, methods) => {
    expect([...methods].sort()).toEqual(calledOn(join(import.meta.dirname, '../src'), name));
  });
});
