import { type ChildProcess, spawn } from 'node:child_process';

/** A demo server running as a separate Node process. */
export interface Child {
  readonly url: string;
  readonly process: ChildProcess;
}

/**
 * Starts `script` (a demo entry that prints `{"url": ...}` once listening) as its own Node process,
 * on the TypeScript sources, with `env` added to this process's environment.
 */
export function startProcess(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--conditions=@tessera/source', '--import', 'tsx', script, ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line)
        resolve({ url: (JSON.parse(line) as { url: string }).url, process: child });
    });
    child.once('exit', (code) => reject(new Error(`server process exited (${code}) before listening`)));
  });
}

/** Polls until `probe` holds, at most `ms` (propagation between processes is asynchronous). */
export async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + ms;
  do {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  } while (performance.now() < deadline);
  return false;
}
