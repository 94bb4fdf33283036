// A TCP proxy in front of a real server that can freeze: its connections stay open but no byte
// passes either way, as with a network that drops packets or a server that stopped answering
// without closing anything (a half-open connection). Thawing lets the bytes through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (chunk) => (frozen ? undefined : upstream.write(chunk)));
    upstream.on('data', (chunk) => (frozen ? undefined : client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    // Bytes sent while frozen are dropped, as a lossy network would: the connection is broken for
    // good, though neither end learns it until it gives up waiting.
    freeze: () => (frozen = true),
    thaw: () => (frozen = false),
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
