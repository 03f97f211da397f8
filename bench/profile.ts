// Reads a V8 .cpuprofile (`node --cpu-prof`) and ranks self time by frame and by package.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  /** Microseconds on the profiler's own clock. */
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  frame: string;
  pkg: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  topFrames: FrameTime[];
  /** Switchboard's own frames by total time (self + everything they called): what a change in src/ can save. */
  topOwnTotals: { frame: string; totalMs: number; percent: number }[];
  byPackage: { pkg: string; selfMs: number; percent: number }[];
}

/** Which samples count, as milliseconds before the profile's end (e.g. only the measured window). */
export interface ProfileWindow {
  fromMsBeforeEnd: number;
  toMsBeforeEnd: number;
}

/** Self time per frame and per package; `(idle)` is left out of the shares. */
export function summariseProfile(file: string, window?: ProfileWindow, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // timeDeltas[i] is the time from the previous sample (from startTime for the first).
  const times = new Float64Array(profile.samples.length);
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    times[i] = at;
  }
  const inWindow = (i: number) => {
    if (!window) return true;
    const beforeEndMs = (profile.endTime - times[i]!) / 1000;
    return beforeEndMs <= window.fromMsBeforeEnd && beforeEndMs >= window.toMsBeforeEnd;
  };
  const frames = new Map<string, { pkg: string; selfUs: number }>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const ownTotals = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to sample i.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (!node || !inWindow(i)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const pkg = packageOf(url, functionName);
    // tsx-compiled files (src/, bench/) report line 1 for everything: their lines mean nothing.
    const where = !url
      ? 'native'
      : url.endsWith('.ts')
        ? shortUrl(url)
        : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'} ${where}`;
    const entry = frames.get(key) ?? { pkg, selfUs: 0 };
    entry.selfUs += us;
    frames.set(key, entry);
    // Each src/ frame on the sample's stack gets its time once, however deep it recurses.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parents.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (packageOf(frame.url, frame.functionName) !== 'switchboard (src/)') continue;
      const own = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(own)) continue;
      seen.add(own);
      ownTotals.set(own, (ownTotals.get(own) ?? 0) + us);
    }
  }
  const percent = (us: number) => (100 * us) / Math.max(1, busyUs);
  const packages = new Map<string, number>();
  for (const { pkg, selfUs } of frames.values()) packages.set(pkg, (packages.get(pkg) ?? 0) + selfUs);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    topFrames: [...frames.entries()]
      .sort((a, b) => b[1].selfUs - a[1].selfUs)
      .slice(0, top)
      .map(([frame, { pkg, selfUs }]) => ({ frame, pkg, selfMs: selfUs / 1000, percent: percent(selfUs) })),
    topOwnTotals: [...ownTotals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2 * top)
      .map(([frame, totalUs]) => ({ frame, totalMs: totalUs / 1000, percent: percent(totalUs) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([pkg, selfUs]) => ({ pkg, selfMs: selfUs / 1000, percent: percent(selfUs) })),
  };
}

/** `undici`, `@apollo/server`, `node:net`, `switchboard`, `(garbage collector)`, `v8 builtin`… */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'v8 builtin / native';
  const modules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) {
    const name = url.slice(5).replace(/^internal\//, '');
    const first = name.split('/')[0]!;
    return `node:${first.startsWith('_http') ? 'http' : first.replace(/^_/, '')}`;
  }
  if (url.startsWith('wasm://')) return 'wasm (undici llhttp)';
  if (url.includes('/src/')) return 'switchboard (src/)';
  if (url.includes('/bench/')) return 'bench';
  return 'other';
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  // The compiled tree (build.ts) mirrors the repository: show src/… and bench/… paths.
  const own = /\/(src|bench)\/.*$/.exec(url);
  if (own) return own[0].slice(1);
  return url.replace(/^file:\/\//, '');
}

/** A Markdown table of the summary. */
export function profileTable(summary: ProfileSummary): string {
  return [
    `Busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms.`,
    '',
    '| # | self % | self ms | package | frame |',
    '| ---: | ---: | ---: | --- | --- |',
    ...summary.topFrames.map(
      (f, i) => `| ${i + 1} | ${f.percent.toFixed(1)} | ${f.selfMs.toFixed(0)} | ${f.pkg} | \`${f.frame}\` |`,
    ),
    '',
    '| # | total % | total ms | switchboard frame (self + callees) |',
    '| ---: | ---: | ---: | --- |',
    ...summary.topOwnTotals.map(
      (f, i) => `| ${i + 1} | ${f.percent.toFixed(1)} | ${f.totalMs.toFixed(0)} | \`${f.frame}\` |`,
    ),
    '',
    '| package | self % | self ms |',
    '| --- | ---: | ---: |',
    ...summary.byPackage
      .slice(0, 20)
      .map((p) => `| ${p.pkg} | ${p.percent.toFixed(1)} | ${p.selfMs.toFixed(0)} |`),
  ].join('\n');
}
