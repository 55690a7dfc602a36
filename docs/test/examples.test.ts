import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { docsDir, exampleBlocks, markdownFiles } from './markdown.js';
import { syncOptionsTables } from './options-tables.js';

const examples = readdirSync(join(docsDir, 'examples')).filter((name) => name.endsWith('.ts'));

describe('docs examples', () => {
  beforeAll(() => {
    // Examples that need Redis run against the suite's own redis-server.
    process.env['TESSERA_EXAMPLE_REDIS_URL'] = `redis://127.0.0.1:${inject('redis').standalone.port}`;
    process.env['TESSERA_EXAMPLE_CLUSTER_PORTS'] = inject('redis').cluster.ports.join(',');
  });

  it.each(examples)('examples/%s runs to completion (its assertions hold)', async (name) => {
    await expect(import(join(docsDir, 'examples', name))).resolves.toBeDefined();
  });

  it.each(markdownFiles().map((file) => [file.replace(`${docsDir}/`, 'docs/')] as const))(
    '%s shows each example exactly as the file that runs',
    (file) => {
      const path = file.startsWith('docs/') ? join(docsDir, file.slice(5)) : file;
      for (const block of exampleBlocks(readFileSync(path, 'utf8'))) {
        const source = readFileSync(join(docsDir, block.path), 'utf8');
        expect(
          block.code,
          `${block.path} is out of date in ${file}: run pnpm --filter @tessera/docs sync`,
        ).toBe(source);
      }
    },
  );

  it('every example is shown somewhere, and every shown example exists', () => {
    const shown = new Set(
      markdownFiles().flatMap((file) => exampleBlocks(readFileSync(file, 'utf8')).map((b) => b.path)),
    );
    for (const name of examples)
      expect(shown, `examples/${name} is not in any page`).toContain(`examples/${name}`);
  });

  it.each(markdownFiles().map((file) => [file.replace(`${docsDir}/`, 'docs/')] as const))(
    '%s shows each options table as the TSDoc of its interface says',
    (file) => {
      const path = file.startsWith('docs/') ? join(docsDir, file.slice(5)) : file;
      const text = readFileSync(path, 'utf8');
      expect(
        syncOptionsTables(text),
        `an options table is stale in ${file}: run pnpm --filter @tessera/docs sync`,
      ).toBe(text);
    },
  );

  it('has the options tables the docs promise', () => {
    const all = markdownFiles()
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const name of ['DenylistTimingOptions', 'DenylistOptions', 'SessionsOptions', 'HttpAuthOptions'])
      expect(all).toMatch(new RegExp(`<!-- options: \\S+ ${name} -->\\n\\| option`));
  });

  it('finds the examples it claims to check (a parser that matched nothing would pass vacuously)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const total = markdownFiles().reduce(
      (n, file) => n + exampleBlocks(readFileSync(file, 'utf8')).length,
      0,
    );
    expect(total).toBeGreaterThanOrEqual(examples.length);
  });
});
