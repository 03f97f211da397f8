// How the load picks a user (and its pre-signed JWT) for every request, in two modes:
//
// - fresh: every request is for another user. Each connection walks its own slice of the users
//   and every run continues where the last one stopped (per server), so with 100,000 users a
//   server sees a user again only after ~100,000 others: no token cache, no per-user cache helps.
// - session: each user makes `reuse` requests in a row on its connection (a signed-in client
//   making a session's requests), then the connection moves on to the next user of its slice.
//
// Both hand out tokens signed before any load (signTokens): signing is not the load generator's
// work under load, and every server gets the same tokens.
import { createHmac } from 'node:crypto';
import { benchSecret } from './dashboard.js';
import { benchUserId } from './users.js';

export type UserModeId = 'fresh' | 'session';

export interface UserMode {
  id: UserModeId;
  /** Requests in a row per user on a connection (1 for fresh). */
  reuse: number;
}

export interface BenchUser {
  userId: string;
  token: string;
}

/** A position in the load: which user connection `connection` asks for at its `position`-th request. */
export interface Rotation {
  readonly users: readonly BenchUser[];
  readonly mode: UserMode;
  /** The users connection `connection` asks for next (`count` of them) without advancing. */
  window(connection: number, count: number): BenchUser[];
  /** Moves each connection on by the requests it sent in the run that just ended. */
  advance(sentPerConnection: readonly number[]): void;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * HS256 USER tokens for users u2…u<count+1>, valid for `hours`. Built with node:crypto, not
 * jose: 100,000 tokens take well under a second this way. The servers verify them with jose.
 */
export function signTokens(count: number, hours = 3): BenchUser[] {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + hours * 3600;
  return Array.from({ length: count }, (_, index) => {
    const userId = benchUserId(index);
    const payload = base64url(JSON.stringify({ role: 'USER', sub: userId, iat, exp }));
    const signature = createHmac('sha256', benchSecret).update(`${header}.${payload}`).digest('base64url');
    return { userId, token: `${header}.${payload}.${signature}` };
  });
}

/**
 * One rotation per server and user mode: connection i of `connections` owns the i-th slice of
 * `users`, and its cursor survives from run to run (warm-up, rounds, the heap check).
 */
export function createRotation(users: readonly BenchUser[], mode: UserMode, connections: number): Rotation {
  if (users.length < connections) {
    throw new Error(`${users.length} users cannot give each of ${connections} connections its own`);
  }
  const cursors = new Array<number>(connections).fill(0);
  const slice = (connection: number) => {
    const from = Math.floor((connection * users.length) / connections);
    const to = Math.floor(((connection + 1) * users.length) / connections);
    return { from, length: to - from };
  };
  return {
    users,
    mode,
    window(connection, count) {
      const { from, length } = slice(connection);
      const start = cursors[connection] ?? 0;
      return Array.from(
        { length: count },
        (_, i) => users[from + (Math.floor((start + i) / mode.reuse) % length)]!,
      );
    },
    advance(sentPerConnection) {
      for (const [connection, sent] of sentPerConnection.entries()) {
        if (connection < connections) cursors[connection] = (cursors[connection] ?? 0) + sent;
      }
    },
  };
}
