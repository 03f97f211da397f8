// The CLI as an operator runs it: a child process with an environment of our choosing.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from here so `--import tsx` finds the local tsx. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | NodeJS.Signals>;
  /** Resolves with the first stdout JSON log line whose `msg` is `msg`. */
  logLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGKILL unless already exited; resolves once it has. */
  kill(): Promise<void>;
}

/**
 * Starts `node --import tsx src/cli.ts ...args` with exactly `env` (plus PATH and HOME): nothing
 * from the test runner's environment (USERS_URL, NODE_ENV, ...) leaks in.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );

  const findLine = (msg: string) => {
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) return parsed;
      } catch {
        // a partial line: wait for the rest
      }
    }
    return undefined;
  };

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    logLine(msg, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          const line = findLine(msg);
          if (line) {
            done();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no "${msg}" log line within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
          );
        }, timeoutMs);
        void exited.then((code) => {
          if (!findLine(msg)) {
            done();
            reject(
              new Error(`exited (${code}) before logging "${msg}"\nstdout: ${stdout}\nstderr: ${stderr}`),
            );
          }
        });
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the CLI to its exit; kills it and fails if it is still running after `timeoutMs`. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }> {
  const cli = spawnCli(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await cli.kill();
    throw new Error(
      `the CLI was still running after ${timeoutMs} ms\nstdout: ${cli.stdout}\nstderr: ${cli.stderr}`,
    );
  }
  return { code: result, stdout: cli.stdout, stderr: cli.stderr };
}

/** Resolves with the exit code, or rejects if the process is still running after `timeoutMs`. */
export async function exitWithin(cli: CliProcess, timeoutMs: number): Promise<number | NodeJS.Signals> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([cli.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
