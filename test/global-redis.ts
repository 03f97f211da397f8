// One private redis-server for the whole run, on a free port: `npm test` needs nothing running,
// and the machine's own Redis (if any) is never touched. Tests read its URL with
// `inject('redisUrl')`; tests that kill Redis on purpose start their own (helpers/redis-server.ts).
import type { TestProject } from 'vitest/node';
import { startRedisChild } from './helpers/redis-server.js';

export default async function setup(project: TestProject) {
  const redis = await startRedisChild();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
