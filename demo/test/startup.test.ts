import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisServer } from '../../test/support/redis.js';
import { createStack } from '../src/stack.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function runDemo(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@tessera/source', '--import', 'tsx', MAIN, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up fails fast and says why', () => {
  it('pnpm demo --redis with nothing listening: one clear line, exit code 1', async () => {
    const server = await RedisServer.start();
    const port = server.port;
    await server.close();
    const { code, stdout, stderr } = await runDemo(['--redis', `redis://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^tessera demo: cannot start on Redis at redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("the stack's status() is ready once composed, and not after close", async () => {
    const stack = await createStack();
    expect(stack.sessions.status()).toEqual({ ready: true, denylist: { ready: true, state: 'ready' } });
    await stack.close();
    expect(stack.sessions.status().ready).toBe(false);
  });
});
