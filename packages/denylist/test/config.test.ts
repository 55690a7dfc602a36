/** Options are validated once, at construction: ERR_CONFIG naming the option, never a crash. */
import { createDenylist, createMemoryDenylist } from '@tessera/denylist';
import { describe, expect, it } from 'vitest';

const codeOf = (build: () => unknown) => {
  try {
    build();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

const fakeClient = { duplicate() {}, defineCommand() {} } as never;

describe('config', () => {
  it.each([
    ['no client', {}],
    ['not an ioredis client', { client: {} }],
    ['prefix with a brace', { client: fakeClient, prefix: 'a{b}' }],
    ['empty prefix', { client: fakeClient, prefix: '' }],
    ['accessTtl over an hour', { client: fakeClient, accessTtl: 3601 }],
    ['accessTtl zero', { client: fakeClient, accessTtl: 0 }],
    ['tolerance over 60 s', { client: fakeClient, clockTolerance: 61 }],
    ['maxStaleness zero', { client: fakeClient, maxStaleness: 0 }],
    ['maxStaleness NaN', { client: fakeClient, maxStaleness: Number.NaN }],
    ['maxStaleness over a minute', { client: fakeClient, maxStaleness: 61 }],
    ['timeout not an integer', { client: fakeClient, timeoutMs: 1.5 }],
    ['clock not a function', { client: fakeClient, clock: 5 }],
    ['maxViewEntries zero', { client: fakeClient, maxViewEntries: 0 }],
    ['maxViewEntries not an integer', { client: fakeClient, maxViewEntries: 1.5 }],
    ['unknown option', { client: fakeClient, ttl: 900 }],
  ])('createDenylist rejects %s', (_, options) => {
    expect(codeOf(() => createDenylist(options as never))).toBe('ERR_CONFIG');
  });

  it.each([
    ['accessTtl over an hour', { accessTtl: 7200 }],
    ['negative tolerance', { clockTolerance: -1 }],
    ['unknown option', { client: fakeClient }],
  ])('createMemoryDenylist rejects %s', (_, options) => {
    expect(codeOf(() => createMemoryDenylist(options as never))).toBe('ERR_CONFIG');
  });

  it('accepts the defaults', () => {
    expect(codeOf(() => createMemoryDenylist())).toBe('ok');
  });
});
