// Child processes of a bench run: spawned with this Node (never npx, whose death would orphan
// the server) on the compiled JavaScript (build.ts), readiness, /proc sampling, and a registry so
// that every child is killed at the end, on error and on SIGINT/SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server under test or the demo services. */
export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last lines of stderr, for error messages. */
  stderrTail: string[];
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** `--import` preloads (absolute paths). */
  preloads?: string[];
  args?: string[];
  env: Record<string, string>;
  /** Where stdout goes: 'pipe' (needed for READY lines) or an open file descriptor. */
  stdout?: 'pipe' | number;
}

const running = new Set<Child>();

/** The environment children get: nothing of ours leaks in (a USERS_URL would override the config). */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Starts `node [flags] [--import preload…] script [args]` in the repository root. */
export function spawnNode(name: string, script: string, options: SpawnOptions): Child {
  const preloads = (options.preloads ?? []).flatMap((file) => ['--import', file]);
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...preloads, script, ...(options.args ?? [])],
    { cwd: process.cwd(), env: options.env, stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const stderrTail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderrTail.push(...text.split('\n').filter(Boolean));
    if (stderrTail.length > 30) stderrTail.splice(0, stderrTail.length - 30);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const entry: Child = { name, pid: child.pid, process: child, stderrTail, exited };
  running.add(entry);
  void exited.then(() => running.delete(entry));
  return entry;
}

/** Resolves with the JSON of the child's `READY {json}` stdout line; rejects if it exits first. */
export function waitForReady(child: Child, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`${child.name} did not start within ${timeoutMs} ms${tail(child)}`)),
      timeoutMs,
    );
    child.process.stdout?.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      const match = /^READY (.*)$/m.exec(buffered);
      if (match) {
        clearTimeout(timer);
        buffered = '';
        resolve(JSON.parse(match[1]!) as Record<string, unknown>);
      } else if (buffered.length > 65_536) buffered = buffered.slice(-4096);
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited with code ${code} before it was ready${tail(child)}`));
    });
  });
}

/** Resolves with the JSON of the child's next `<prefix> {json}` stderr line (e.g. HEAP, gateway-preload.ts). */
export function nextStderrJson(
  child: Child,
  prefix: string,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const pattern = new RegExp(`^${prefix} (.*)$`, 'm');
    const onData = (text: string) => {
      buffered += text;
      const match = pattern.exec(buffered);
      if (!match) return;
      done();
      resolve(JSON.parse(match[1]!) as Record<string, unknown>);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name} wrote no ${prefix} line within ${timeoutMs} ms${tail(child)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.process.stderr?.off('data', onData);
    };
    child.process.stderr?.on('data', onData);
  });
}

/** Polls `url` until it answers 200; rejects when `child` exits or time runs out. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} ${exited ? '(it exited)' : 'in time'}${tail(child)}`);
}

function tail(child: Child): string {
  return child.stderrTail.length > 0 ? `:\n  ${child.stderrTail.slice(-10).join('\n  ')}` : '';
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  // A target with workers (node:cluster) is a tree: the primary and every worker count.
  return processTree(pid).reduce((sum, each) => sum + ownCpuTicks(each), 0);
}

function ownCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // it exited meanwhile
  }
}

/** `pid` and its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i += 1) {
    try {
      for (const task of readdirSync(`/proc/${all[i]}/task`)) {
        const children = readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
        if (children) all.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return all;
}

/** Busy clock ticks of the whole machine, all CPUs (/proc/stat: user nice system irq softirq steal). */
export function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** Clock ticks per second; 100 on every Linux this runs on (getconf CLK_TCK). */
export const ticksPerSecond = 100;

/** Peak resident set size (VmHWM) in kB. */
export function peakRssKb(pid: number): number {
  // Summed over the process tree: a target with workers holds memory in each of them.
  let total = 0;
  for (const each of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${each}/status`, 'utf8');
      total += Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stop(child: Child, graceMs = 3_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stop(child)));
}

/** Last resort on exit: SIGKILL whatever is left (synchronous, as 'exit' handlers must be). */
export function killAllNow(): void {
  for (const child of running) child.process.kill('SIGKILL');
}
