/**
 * A TCP proxy the test controls, to put faults between a node and its database:
 *
 *     const proxy = await startTcpProxy('127.0.0.1', 5432);
 *     `postgres://postgres@127.0.0.1:${proxy.port}/db`
 *     proxy.cut()                 // destroys every open connection (both sides)
 *     proxy.setMode('blackhole')  // new and open connections: bytes are swallowed, nothing answers
 *     proxy.setMode('refuse')     // new connections are closed at once
 *     proxy.setMode('pass')       // back to normal
 *     await proxy.close()
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'refuse';

export interface TcpProxy {
  port: number;
  readonly connections: number;
  setMode(mode: ProxyMode): void;
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<{ client: Socket; upstream?: Socket }>();
  const server = createServer((client) => {
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: { client: Socket; upstream?: Socket } = { client };
    pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === 'blackhole') {
      client.on('data', () => {});
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    // Black-holing an open connection: stop forwarding in both directions.
    client.on('data', (chunk) => {
      if (mode !== 'blackhole') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode !== 'blackhole') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return pairs.size;
    },
    setMode(next) {
      mode = next;
    },
    cut,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
