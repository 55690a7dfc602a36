/**
 * ioredis as the portable type check (tsconfig.portable.json) sees it. ioredis's own declarations
 * reference Node's types, which would make `Buffer` and `process` visible to every file of that
 * program and blind it. The code that talks to Redis is checked against the real declarations by
 * the main program (tsconfig.json); here only the absence of Node's globals is under test.
 */
// biome-ignore lint/suspicious/noExplicitAny: a stand-in, checked for real by tsconfig.json
export type Redis = any;
// biome-ignore lint/suspicious/noExplicitAny: a stand-in, checked for real by tsconfig.json
export type Cluster = any;
