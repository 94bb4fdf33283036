// A private single-node Kafka (KRaft) for tests that must stop and restart a broker: the shared
// stack's broker is never touched. It runs from the jars stack/install.sh caches, like stack/up.sh.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinpipeCacheDir } from './cache-dir.ts';
import { freePort, waitForPort } from './net.ts';

export interface PrivateBroker {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  readonly address: string;
  readonly logFile: string;
  start(): Promise<void>;
  /** SIGTERM (a controlled shutdown), then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9): no controlled shutdown; the next start recovers the log. */
  kill(): Promise<void>;
  /** Stops the broker if it runs and deletes its data directory. */
  destroy(): Promise<void>;
}

export function kafkaLibs(env: NodeJS.ProcessEnv = process.env): string {
  return join(pinpipeCacheDir(env), 'kafka-3.9.1', 'libs');
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    'auto.create.topics.enable=false',
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=2',
    'log.message.timestamp.after.max.ms=3600000',
    '',
  ].join('\n');
}

const LOG4J =
  'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\n' +
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n' +
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n';

function run(args: string[], logFile: string): ChildProcess {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function createPrivateBroker(): Promise<PrivateBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'pinpipe-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = join(dir, 'server.properties');
  const logFile = join(dir, 'kafka.log');
  await writeFile(props, serverProperties(dir, port, controllerPort));
  await writeFile(join(dir, 'log4j.properties'), LOG4J);
  const jvm = [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    '-cp',
    `${kafkaLibs()}/*`,
  ];
  // A Kafka cluster id is 16 random bytes in URL-safe base64, what `StorageTool random-uuid` prints.
  const clusterId = randomBytes(16).toString('base64url');
  const format = run([...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], logFile);
  if ((await exited(format)) !== 0) throw new Error(`formatting the private broker failed; see ${logFile}`);

  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.kill('SIGTERM');
    await exited(c);
    clearTimeout(timer);
  };

  return {
    address: `127.0.0.1:${port}`,
    logFile,
    async start() {
      if (child) return;
      const c = run([...jvm, 'kafka.Kafka', props], logFile);
      child = c;
      const died = exited(c).then(() => {
        throw new Error(`the private broker exited during start-up; see ${logFile}`);
      });
      await Promise.race([waitForPort(port, 60_000), died]);
      died.catch(() => undefined);
    },
    stop,
    async kill() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGKILL');
      await exited(c);
    },
    async destroy() {
      await stop();
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
