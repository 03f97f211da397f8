// How many workers `--workers auto` starts: the CPUs this process may actually use. In a
// container that is the cgroup's CPU quota, not the host's core count: a pod limited to 2 CPUs
// on a 64-core node that starts 64 workers spends its quota on context switches.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What usableCpus reads: the cgroup files' contents (absent when missing) and the OS's count. */
export interface CpuSources {
  /** cgroup v2 `cpu.max`: "<quota> <period>" or "max <period>". */
  cpuMax?: string;
  /** cgroup v1 `cpu.cfs_quota_us` (-1 for none) and `cpu.cfs_period_us`. */
  cfsQuotaUs?: string;
  cfsPeriodUs?: string;
  /** os.availableParallelism(): the CPUs the scheduler lets this process run on. */
  parallelism: number;
}

/** The quota in CPUs (fractional), or undefined when there is none or it cannot be read. */
export function cgroupQuota(sources: Omit<CpuSources, 'parallelism'>): number | undefined {
  const ratio = (quota: number, period: number) =>
    Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
  if (sources.cpuMax !== undefined) {
    const [quota, period] = sources.cpuMax.trim().split(/\s+/);
    if (quota === 'max') return undefined;
    return ratio(Number(quota), Number(period ?? 100_000));
  }
  if (sources.cfsQuotaUs !== undefined && sources.cfsPeriodUs !== undefined) {
    return ratio(Number(sources.cfsQuotaUs.trim()), Number(sources.cfsPeriodUs.trim()));
  }
  return undefined;
}

/**
 * Workers for `auto`: the cgroup quota rounded up (1.5 CPUs → 2: the last worker takes the half),
 * never more than the CPUs the scheduler allows, never fewer than one.
 */
export function usableCpus(sources: CpuSources): number {
  const quota = cgroupQuota(sources);
  const allowed = Math.max(1, Math.floor(sources.parallelism));
  return quota === undefined ? allowed : Math.max(1, Math.min(allowed, Math.ceil(quota)));
}

/** Reads this machine's cgroup files (v2, then v1) and the scheduler's count. */
export function readUsableCpus(root = '/sys/fs/cgroup'): number {
  const read = (path: string) => {
    try {
      return readFileSync(`${root}/${path}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  return usableCpus({
    cpuMax: read('cpu.max'),
    cfsQuotaUs: read('cpu/cpu.cfs_quota_us') ?? read('cpu,cpuacct/cpu.cfs_quota_us'),
    cfsPeriodUs: read('cpu/cpu.cfs_period_us') ?? read('cpu,cpuacct/cpu.cfs_period_us'),
    parallelism: availableParallelism(),
  });
}
