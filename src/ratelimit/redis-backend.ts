import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { withinDeadline } from '../stores/redis-client.js';
import type { LogDecision, QuotaDecision, RateLimitBackend } from './backend.js';

/** How long a decision may wait for Redis before the failover policy takes over. */
export const decisionTimeoutMs = 250;

// Both scripts read Redis's clock (TIME), so several gateway instances with drifting clocks
// still share one window, and each decision is one round trip.
const nowMs = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const quotaScript = `${nowMs}
local w, limit, daily, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local day = 86400000
local wk = KEYS[1] .. ':w' .. math.floor(now / w)
local dk = KEYS[1] .. ':d' .. math.floor(now / day)
local reset, dreset = w - (now % w), day - (now % day)
local c = tonumber(redis.call('GET', wk) or '0')
local dc = 0
if daily > 0 then dc = tonumber(redis.call('GET', dk) or '0') end
if c + n > limit or (daily > 0 and dc + n > daily) then return {0, c, reset, dc, dreset} end
c = redis.call('INCRBY', wk, n)
if c == n then redis.call('PEXPIRE', wk, reset + 1000) end
if daily > 0 then
  dc = redis.call('INCRBY', dk, n)
  if dc == n then redis.call('PEXPIRE', dk, dreset + 1000) end
end
return {1, c, reset, dc, dreset}`;

const logScript = `${nowMs}
local w, max, k = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - w)
local n = redis.call('ZCARD', KEYS[1])
if n + k > max then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = w
  if oldest[2] then retry = tonumber(oldest[2]) + w - now end
  return {0, n, retry}
end
for i = 1, k do redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], w)
return {1, n, 0}`;

/** The commands `defineCommand` adds (EVALSHA with a fallback to EVAL, handled by ioredis). */
interface ScriptCommands {
  switchboardQuota(
    key: string,
    windowMs: number,
    limit: number,
    daily: number,
    weight: number,
  ): Promise<number[]>;
  switchboardLog(
    key: string,
    windowMs: number,
    max: number,
    member: string,
    count: number,
  ): Promise<number[]>;
}

/** Counts in Redis, shared by every gateway instance that uses the same Redis. */
export function createRedisBackend(
  redis: Redis,
  prefix = 'switchboard:rl:',
  timeoutMs = decisionTimeoutMs,
): RateLimitBackend {
  redis.defineCommand('switchboardQuota', { numberOfKeys: 1, lua: quotaScript });
  redis.defineCommand('switchboardLog', { numberOfKeys: 1, lua: logScript });
  const scripts = redis as unknown as ScriptCommands;
  return {
    async quota(key, limit, windowMs, dailyLimit, weight = 1): Promise<QuotaDecision> {
      const [allowed, count, resetMs, dailyCount, dailyResetMs] = await withinDeadline(
        scripts.switchboardQuota(`${prefix}q:${key}`, windowMs, limit, dailyLimit, weight),
        timeoutMs,
        'a quota decision',
      );
      return {
        allowed: allowed === 1,
        count: count!,
        resetMs: resetMs!,
        dailyCount: dailyCount!,
        dailyResetMs: dailyResetMs!,
      };
    },
    async slidingLog(key, max, windowMs, count = 1): Promise<LogDecision> {
      const [allowed, earlier, retryAfterMs] = await withinDeadline(
        scripts.switchboardLog(`${prefix}f:${key}`, windowMs, max, randomUUID(), count),
        timeoutMs,
        'a @rateLimit decision',
      );
      return { allowed: allowed === 1, earlier: earlier!, retryAfterMs: retryAfterMs! };
    },
    async close() {},
  };
}
