import { cpus, totalmem } from 'node:os';

/** A titled Markdown table plus notes, printed to stdout and collected for docs/benchmarks.md. */
export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

export function formatOps(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

export function ratio(value: number, reference: number): string {
  return `${(value / reference).toFixed(2)}x`;
}

export function renderSection(section: Section): string {
  const lines = [`### ${section.title}`, '', `| ${section.header.join(' | ')} |`];
  lines.push(`|${section.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of section.rows) lines.push(`| ${row.join(' | ')} |`);
  if (section.notes?.length) lines.push('', ...section.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}
