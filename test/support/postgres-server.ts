// A private PostgreSQL server for tests that stop and start the database, so the shared stack's
// server is never touched. Uses the same Debian binaries as the local stack; as root the server
// runs as the `postgres` system user, like stack/up.sh does.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './net.ts';

const run = promisify(execFile);

function bindir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    // pg_config is in the -dev package; fall back to Debian's layout.
  }
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export class PostgresServer {
  readonly port: number;
  private readonly dir: string;
  private readonly bin: string;
  private constructor(port: number, dir: string, bin: string) {
    this.port = port;
    this.dir = dir;
    this.bin = bin;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PostgresServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'pinpipe-pg-'));
    chmodSync(dir, 0o755);
    const server = new PostgresServer(await freePort(), dir, bindir());
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout), Number(gid));
    }
    await server.exec('initdb', ['-D', server.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await server.start();
    return server;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private exec(tool: string, args: string[]) {
    const cmd = path.join(this.bin, tool);
    return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  }

  async start(): Promise<void> {
    await this.exec('pg_ctl', [
      '-D',
      this.data,
      '-l',
      path.join(this.dir, 'log'),
      '-w',
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`,
      'start',
    ]);
    await waitForPort(this.port, 30_000);
  }

  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
