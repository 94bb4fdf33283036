// A private MinIO for tests that stop and restart S3: the shared stack's MinIO is never touched. It
// runs the binary stack/install.sh caches, on free ports, with its own temporary data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.ts';

export const MINIO_USER = 'minioadmin';
export const MINIO_PASSWORD = 'minioadmin';

function minioBinary(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.PINPIPE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pinpipe');
  return join(cache, 'bin', 'minio');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class MinioServer {
  private child: ChildProcess | undefined;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    private readonly consolePort: number,
    private readonly dir: string,
  ) {
    process.once('exit', this.killOnExit);
  }

  /** For S3_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<MinioServer> {
    const dir = await mkdtemp(join(tmpdir(), 'pinpipe-minio-'));
    const server = new MinioServer(await freePort(), await freePort(), dir);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const log = createWriteStream(join(this.dir, 'minio.log'), { flags: 'a' });
    const args = ['server', join(this.dir, 'data'), '--quiet', '--address', `127.0.0.1:${this.port}`];
    const child = spawn(minioBinary(), [...args, '--console-address', `127.0.0.1:${this.consolePort}`], {
      env: {
        ...process.env,
        MINIO_ROOT_USER: MINIO_USER,
        MINIO_ROOT_PASSWORD: MINIO_PASSWORD,
        MINIO_BROWSER: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    await waitForPort(this.port, 30_000);
    // The port opens before MinIO serves requests.
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${this.endpoint}/minio/health/ready`).catch(() => undefined);
      if (res?.ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the private MinIO did not become ready; see ${join(this.dir, 'minio.log')}`);
  }

  /** Kills the server outright, as an outage would. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
  }

  async destroy(): Promise<void> {
    await this.stop();
    process.off('exit', this.killOnExit);
    await rm(this.dir, { recursive: true, force: true });
  }
}
