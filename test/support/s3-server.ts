// A private S3 (SeaweedFS) for tests that stop and restart S3: the shared stack's is never touched.
// It runs the binary stack/install.sh builds, through stack/seaweedfs/run.sh (the same flags and
// credentials as the stack's), on free ports, with its own temporary data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortWithSibling } from './net.ts';

const RUN_SCRIPT = resolve(import.meta.dirname, '../../stack/seaweedfs/run.sh');
/** SeaweedFS's servers each listen on their port and on port + 10000 (gRPC). */
const GRPC_OFFSET = 10_000;
const READY_MS = 60_000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class S3Server {
  private child: ChildProcess | undefined;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  /** S3, master, volume and filer ports. */
  private readonly ports: [number, number, number, number];
  private readonly dir: string;
  private constructor(ports: [number, number, number, number], dir: string) {
    this.ports = ports;
    this.dir = dir;
    process.once('exit', this.killOnExit);
  }

  /** For S3_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.ports[0]}`;
  }

  private get logFile(): string {
    return join(this.dir, 'seaweedfs.log');
  }

  static async create(): Promise<S3Server> {
    const dir = await mkdtemp(join(tmpdir(), 'pinpipe-s3-'));
    const ports: number[] = [];
    while (ports.length < 4) {
      const port = await freePortWithSibling(GRPC_OFFSET);
      if (!ports.some((p) => Math.abs(p - port) % GRPC_OFFSET === 0)) ports.push(port);
    }
    const server = new S3Server(ports as [number, number, number, number], dir);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn('bash', [RUN_SCRIPT, join(this.dir, 'data'), ...this.ports.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    // The S3 port opens before the gateway reaches the filer and a volume: ask it for a bucket list.
    const deadline = Date.now() + READY_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      const res = await fetch(`${this.endpoint}/healthz`).catch(() => undefined);
      if (res?.ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the private S3 (SeaweedFS) did not become ready; see ${this.logFile}`);
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
