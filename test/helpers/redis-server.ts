// A private redis-server child process on a free port, for tests that stop Redis on purpose.
// The machine's shared Redis is never touched: this one can be killed and restarted at will.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisChild {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Kills the process (SIGKILL: a crash, not a clean shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers PING. */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
  /** Kills it if it runs; safe to call twice. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago: listen on 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** True when something on `port` answers a Redis PING with +PONG. */
export function pings(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

/** Starts `redis-server` without persistence on a free port (or `port`). */
export async function startRedisChild(port?: number): Promise<RedisChild> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(chosen),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = performance.now() + 5_000;
    for (;;) {
      if (await pings(chosen)) return;
      if (proc.exitCode !== null || performance.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`redis-server did not start on port ${chosen}`);
      }
      await sleep(20);
    }
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    kill,
    restart: start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    // A frozen process ignores SIGKILL only until thawed: thaw first.
    stop: async () => {
      child?.kill('SIGCONT');
      await kill();
    },
  };
}
