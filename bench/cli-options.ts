// The flags of `npm run bench` (see the header of run.ts, printed by --help), validated once.
import { parseArgs } from 'node:util';
import { type ScenarioId, scenarios } from './scenarios.js';
import type { UpstreamKind } from './stack.js';
import { type TargetName, targetSpecs } from './targets.js';
import type { UserModeId } from './user-modes.js';
import { templateCount } from './users.js';

export interface BenchOptions {
  quick: boolean;
  profile: boolean;
  scenarioIds: ScenarioId[];
  /** Overrides every scenario's own modes when given. */
  modes?: UserModeId[];
  /** Given with --targets, or R, N, G (a scenario's defaultTargets may add G2). */
  targets: TargetName[];
  targetsGiven: boolean;
  /** The subscriptions scenario (`SUB` in --scenarios; part of a full run). */
  subscriptions: boolean;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  rounds: number;
  users: number;
  sessionReuse: number;
  gateUsers: number;
  /** Length of the heap check's load; 0 skips it. */
  heapSeconds: number;
  upstreams: UpstreamKind;
  write: boolean;
  help: boolean;
}

/** Thrown for a bad flag; run.ts prints it and exits 2. */
export class UsageError extends Error {}

function list<T extends string>(name: string, value: string, known: readonly T[], upper = false): T[] {
  const items = value.split(',').map((item) => (upper ? item.trim().toUpperCase() : item.trim()));
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new UsageError(`--${name}: unknown ${item} (known: ${known.join(', ')})`);
    }
  }
  return items as T[];
}

/** Parses and checks argv (after `--`). */
export function parseOptions(argv: string[]): BenchOptions {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      modes: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      users: { type: 'string' },
      'session-reuse': { type: 'string' },
      'gate-users': { type: 'string' },
      'heap-seconds': { type: 'string' },
      targets: { type: 'string' },
      upstreams: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const number = (name: keyof typeof flags, fallback: number, min: number, integer = true): number => {
    const value = flags[name];
    if (value === undefined || typeof value === 'boolean') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) {
      throw new UsageError(
        `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${value}`,
      );
    }
    return parsed;
  };
  const { quick, profile } = flags;
  const upstreams = list('upstreams', flags.upstreams ?? 'stubs', ['stubs', 'demo'] as const)[0]!;
  // The demo services know u1…u1000 only, and the bench's users start at u2.
  const maxUsers = upstreams === 'demo' ? templateCount - 1 : 1_000_000;
  const users = number('users', upstreams === 'demo' ? maxUsers : 100_000, 1);
  if (users > maxUsers) throw new UsageError(`--users: at most ${maxUsers} with --upstreams ${upstreams}`);
  const options: BenchOptions = {
    quick,
    profile,
    scenarioIds: list(
      'scenarios',
      flags.scenarios ?? (quick || profile ? 'S1' : Object.keys(scenarios).join(',')),
      [...Object.keys(scenarios), 'SUB'] as ScenarioId[],
      true,
    ).filter((id) => (id as string) !== 'SUB'),
    subscriptions:
      flags.scenarios === undefined ? !quick && !profile : /(^|,)\s*sub\s*(,|$)/i.test(flags.scenarios),
    ...(flags.modes ? { modes: list('modes', flags.modes, ['fresh', 'session'] as const) } : {}),
    targets: list(
      'targets',
      flags.targets ?? (profile ? 'G' : 'R,N,G'),
      Object.keys(targetSpecs) as TargetName[],
      true,
    ),
    targetsGiven: flags.targets !== undefined,
    connections: number('connections', 50, 1),
    warmupSeconds: number('warmup', quick ? 2 : 3, 0, false),
    durationSeconds: number('duration', quick ? 5 : 10, 1, false),
    rounds: number('rounds', quick || profile ? 1 : 3, 1),
    users,
    sessionReuse: number('session-reuse', 20, 1),
    gateUsers: Math.min(users, number('gate-users', quick ? 100 : 1000, 1)),
    heapSeconds: number('heap-seconds', profile ? 0 : quick ? 10 : 60, 0, false),
    upstreams,
    write: !flags['no-write'],
    help: flags.help,
  };
  if (options.users < options.connections) {
    throw new UsageError(
      `--users (${options.users}) must be at least --connections (${options.connections})`,
    );
  }
  return options;
}
