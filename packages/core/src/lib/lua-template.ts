/**
 * Lua scripts live one per `.lua` file (`src/lua/` of refresh and denylist), each headed by its
 * KEYS, ARGV and returns, as bullmq keeps them; `scripts/generate-lua.ts` copies them into
 * `src/lib/lua.generated.ts` at build time (so no runtime reads a file), and this fills them in once,
 * at start: `--!include <name>` lines take another file's text, `{{NAME}}` takes a value derived from
 * the package's own descriptors (the record layout, reply widths, versions), so the Lua and the
 * TypeScript that read its replies can never drift apart.
 */

const INCLUDE = /^--!include ([a-z-]+)$/gm;
const PLACEHOLDER = /\{\{([A-Z_]+)\}\}/g;

/** The text of script `name`, with its includes and placeholders filled in; throws on any unknown one. */
export function fillLua(
  sources: Readonly<Record<string, string>>,
  name: string,
  values: Readonly<Record<string, string | number>>,
): string {
  const source = sources[name];
  if (source === undefined) throw new Error(`lua: no script named ${name}`);
  const included = source.replace(INCLUDE, (_line, include: string) => {
    const text = sources[include];
    if (text === undefined) throw new Error(`lua ${name}: no script named ${include} to include`);
    return text.trimEnd();
  });
  return included.replace(PLACEHOLDER, (_placeholder, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`lua ${name}: no value for {{${key}}}`);
    return String(value);
  });
}
