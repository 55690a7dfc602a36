import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { luaModule } from '../../scripts/generate-lua.js';

/**
 * What every package with Lua scripts proves of them: the generated module is the `.lua` files as
 * they are (run `pnpm generate:lua` when this fails), every script but `helpers` is headed by its
 * KEYS, ARGV and returns, and every placeholder value is used by some script.
 */
export function describeLuaSources(name: string, valueNames: readonly string[] = []): void {
  const dir = new URL(`../../packages/${name}/src/lua/`, import.meta.url);
  const files = readdirSync(dir).filter((file) => file.endsWith('.lua'));
  const generated = new URL(`../../packages/${name}/src/lib/lua.generated.ts`, import.meta.url);

  it('the generated module holds exactly the .lua files', () => {
    expect(readFileSync(generated, 'utf8')).toBe(luaModule(name));
  });

  it.each(files.filter((file) => file !== 'helpers.lua'))(
    '%s is headed by its KEYS, ARGV and returns',
    (file) => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const header = text.slice(0, text.search(/^[^-]/m));
      expect(header).toMatch(
        new RegExp(`^-- ${file.slice(0, -4).replace(/-(.)/g, (_m, c: string) => c.toUpperCase())}: `, 'i'),
      );
      expect(header).toMatch(/^-- KEYS/m);
      expect(header).toMatch(/^-- ARGV/m);
      expect(header).toMatch(/^-- Returns/m);
    },
  );

  it('uses every value it is given, and no placeholder without one', () => {
    const texts = files.map((file) => readFileSync(new URL(file, dir), 'utf8')).join('\n');
    const used = new Set([...texts.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((match) => match[1]));
    expect([...used].sort()).toEqual([...valueNames].sort());
  });
}
