import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * One Vitest project per package (and one for the docs examples). Packages are imported by their
 * public name; the `@tessera/source` export condition maps them to their TypeScript source, so the
 * `exports` map of each package.json is exactly what the tests exercise.
 */
const conditions = ['@tessera/source'];
const usesRedis = ['refresh', 'denylist', 'sessions'];
const packages = readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `./packages/${name}`,
          include: ['test/**/*.test.ts'],
          // Packages that claim Redis behaviour get a real redis-server and a real Redis Cluster.
          globalSetup: usesRedis.includes(name) ? ['../../test/support/redis-global-setup.ts'] : [],
        },
      })),
      {
        extends: true as const,
        test: {
          // End to end over real HTTP: the example API on each framework, memory and Redis.
          name: 'demo',
          root: './demo',
          include: ['test/**/*.test.ts'],
          globalSetup: ['../test/support/redis-global-setup.ts'],
        },
      },
      {
        extends: true as const,
        test: {
          name: 'docs',
          root: './docs',
          include: ['test/**/*.test.ts'],
          globalSetup: ['../test/support/redis-global-setup.ts'],
        },
      },
    ],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
