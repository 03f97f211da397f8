import { Pool } from 'undici';

/** One base URL of a service and its keep-alive connection pool. */
export interface Replica {
  index: number;
  origin: string;
  /** Path prefix of the base URL (e.g. `/api`), '' when the URL has none. */
  basePath: string;
  pool: Pool;
}

/** The replicas of one service, handed out round-robin. */
export interface ReplicaSet {
  next(): Replica;
  readonly size: number;
  close(): Promise<void>;
}

export interface ReplicaSetOptions {
  maxConnections: number;
}

/** Creates one undici Pool per URL; `next()` rotates through them. */
export function createReplicaSet(urls: readonly string[], options: ReplicaSetOptions): ReplicaSet {
  if (urls.length === 0) throw new Error('a service needs at least one URL');
  const replicas: Replica[] = urls.map((url, index) => {
    const parsed = new URL(url);
    return {
      index,
      origin: parsed.origin,
      basePath: parsed.pathname.replace(/\/+$/, ''),
      pool: new Pool(parsed.origin, {
        connections: options.maxConnections,
        // Below Node's default server keep-alive (5 s), so we close idle sockets before the
        // service does and never write a request onto a socket it is closing.
        keepAliveTimeout: 4_000,
        // Backstops only: exact per-attempt deadlines come from AbortSignal (undici's own
        // timers tick on a ~500 ms wheel, see STACK-NOTES).
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      }),
    };
  });
  let cursor = 0;
  return {
    size: replicas.length,
    next() {
      const replica = replicas[cursor % replicas.length]!;
      cursor = (cursor + 1) % replicas.length;
      return replica;
    },
    async close() {
      await Promise.all(replicas.map((r) => r.pool.close()));
    },
  };
}
