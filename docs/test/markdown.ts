import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = resolve(docsDir, '..');

/** The Markdown files whose examples are checked: every page under docs/ and the root README. */
export function markdownFiles(): string[] {
  const pages = readdirSync(docsDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md') && !name.includes('node_modules'))
    .map((name) => join(docsDir, name));
  return [join(rootDir, 'README.md'), ...pages];
}

const MARKER = /<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g;

/** Every (example path, code block) pair in a Markdown text; paths are relative to docs/. */
export function exampleBlocks(markdown: string): { path: string; code: string }[] {
  return [...markdown.matchAll(MARKER)].map((match) => ({ path: match[1]!, code: match[2]! }));
}

/** The Markdown text with each marked block replaced by its file's current content. */
export function syncMarkdown(markdown: string): string {
  return markdown.replace(MARKER, (_whole, path: string) => {
    const code = readFileSync(join(docsDir, path), 'utf8');
    return `<!-- example: ${path} -->\n\`\`\`ts\n${code}\`\`\``;
  });
}
