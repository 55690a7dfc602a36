import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every method called as `<name>.<method>(` in the TypeScript files under `dir`, sorted: what a
 * package's source actually calls on an injected service, for the tests that hold the
 * construction-time method lists to it.
 */
export function methodsCalledOn(dir: string, name: string): string[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  const found = new Set<string>();
  const call = new RegExp(`\\b${name}\\.([A-Za-z]+)\\(`, 'g');
  for (const file of files) {
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(call)) found.add(match[1]!);
  }
  return [...found].sort();
}
