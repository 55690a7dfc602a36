/**
 * Real Redis for tests: `redis-server` processes on free loopback ports (standalone, or a
 * three-master Cluster made with `redis-cli --cluster create`), started by the test setup and stopped
 * after. No mocks: the tests that claim Redis behaviour run against these.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; resolves true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    // A server with requirepass answers NOAUTH: it is up all the same.
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One redis-server process that can be stopped and started again on the same port. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #args: readonly string[];
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string, args: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
  }

  /**
   * Starts a server; `extra` are further redis-server arguments. Persistence is off unless asked.
   * A free port can be taken by another process before redis-server binds it: then it exits at
   * once, and the start is tried again on another port.
   */
  static async start(extra: readonly string[] = []): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
      // No wait before a replica's first full sync (Redis waits 5 s by default, for more replicas to join).
      const args = ['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...extra];
      const server = new RedisServer(port, dir, args);
      try {
        await server.resume();
        return server;
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        if (attempt >= 5) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the process on the same port and directory. */
  async resume(): Promise<void> {
    if (this.#process) return;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        ...this.#args,
      ],
      { stdio: 'ignore' },
    );
    this.#process = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.#process === child) this.#process = undefined;
    });
    await waitFor(async () => {
      if (exited) throw new Error(`redis-server on port ${this.port} exited (port taken?)`);
      return ping(this.port);
    }, `redis-server on port ${this.port}`);
    // The answer must come from our process, not from another server that took the port first.
    const info = await this.cli('INFO', 'server');
    if (!info.startsWith('NOAUTH') && !info.includes(`process_id:${child.pid}`)) {
      child.kill('SIGKILL');
      throw new Error(`port ${this.port} is served by another process`);
    }
  }

  /** Stops the process (SIGKILL: a crash, nothing flushed unless persistence is on and synced). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.#process = undefined;
    await waitFor(async () => !(await ping(this.port)), `port ${this.port} to close`);
  }

  /** Sends a signal to the process: SIGSTOP freezes it (a replica that stops receiving), SIGCONT thaws it. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.#process?.kill(signal);
  }

  /** Starts a replica of this server (same persistence settings unless `extra` says otherwise). */
  async replica(extra: readonly string[] = []): Promise<RedisServer> {
    const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(this.port), ...extra]);
    // Synced as both sides see it: the primary counts the replica online only past the full sync.
    await waitFor(
      async () =>
        (await replica.cli('INFO', 'replication')).includes('master_link_status:up') &&
        /^slave\d+:.*state=online/m.test(await this.cli('INFO', 'replication')),
      `the replica on port ${replica.port} to sync`,
    );
    return replica;
  }

  /** True while the server answers. */
  ping(): Promise<boolean> {
    return ping(this.port);
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(this.port), ...args]);
    return stdout.trim();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of `masters` redis-server processes, each with `replicas` replicas, on loopback. */
export class RedisCluster {
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: readonly RedisServer[]) {
    this.nodes = nodes;
  }

  /** `extra`: further redis-server arguments for every node. */
  static async start(masters = 3, replicas = 0, extra: readonly string[] = []): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: masters * (1 + replicas) }, () =>
        RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
          ...extra,
        ]),
      ),
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitFor(async () => {
      const states = await Promise.all(nodes.map((n) => n.cli('cluster', 'info')));
      return states.every((info) => info.includes('cluster_state:ok'));
    }, 'the cluster to be ready');
    if (replicas > 0) {
      await waitFor(async () => {
        const roles = await Promise.all(nodes.map((n) => n.cli('INFO', 'replication')));
        // A master counts its replica only once it is online (past the full sync): WAIT needs that.
        return roles.every((info) =>
          info.includes('role:master')
            ? (info.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas
            : info.includes('master_link_status:up'),
        );
      }, 'the replicas to sync');
    }
    return new RedisCluster(nodes);
  }

  /** The nodes that are masters now (after a failover, a promoted replica is one). */
  async masters(): Promise<RedisServer[]> {
    const roles = await Promise.all(this.nodes.map(async (n) => ((await n.ping()) ? n.cli('ROLE') : '')));
    return this.nodes.filter((_, i) => roles[i]!.startsWith('master'));
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

/** What the global setup provides to tests. */
export interface RedisTopology {
  readonly standalone: { readonly port: number };
  readonly cluster: { readonly ports: readonly number[] };
}
