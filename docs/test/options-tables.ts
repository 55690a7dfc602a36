import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { rootDir } from './markdown.js';

/**
 * Options tables generated from the TSDoc of the options interfaces, so the docs and the types say
 * one thing: `<!-- options: packages/http/src/types.ts HttpAuthOptions -->` followed by a table.
 * `pnpm --filter @tessera/docs sync` rewrites them; the docs test fails when one is stale.
 */
export const OPTIONS_MARKER = /<!-- options: (\S+) (\w+) -->\n((?:\|.*\|\n)*)/g;

/** The table of `interfaceName` in `file` (relative to the workspace root): every property, in order. */
export function optionsTable(file: string, interfaceName: string): string {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(rootDir, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found = source.statements.find(
    (statement): statement is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === interfaceName,
  );
  if (found === undefined) throw new Error(`${file}: no interface ${interfaceName}`);
  const rows = found.members.filter(ts.isPropertySignature).map((member) => {
    const name = member.name.getText(source);
    const type = (member.type?.getText(source) ?? 'unknown').replace(/\s+/g, ' ');
    const doc = ts
      .getJSDocCommentsAndTags(member)
      .filter(ts.isJSDoc)
      .map((jsDoc) => ts.getTextOfJSDocComment(jsDoc.comment) ?? '')
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    return [`\`${name}${member.questionToken ? '?' : ''}\``, `\`${cell(type)}\``, cell(doc)];
  });
  return formatTable(['option', 'type', 'what it does'], rows);
}

/** A Markdown table laid out as the formatter (biome) lays it out: every column padded to its widest cell. */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return (
    [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.map(line)].join(
      '\n',
    ) + '\n'
  );
}

/** The Markdown text with each options table regenerated. */
export function syncOptionsTables(markdown: string): string {
  return markdown.replace(
    OPTIONS_MARKER,
    (_whole, file: string, name: string) => `<!-- options: ${file} ${name} -->\n${optionsTable(file, name)}`,
  );
}
