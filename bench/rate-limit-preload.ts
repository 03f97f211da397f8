// Preloaded into the gateway for S3 only: the base schema has @rateLimit on no field the dashboard
// reads (only Mutation.placeOrder), so this puts one on `Query.dashboard` as a deployment would,
// with a limit the benchmark can never reach (per user; at most BENCH_RATE_LIMIT_MAX calls per
// BENCH_RATE_LIMIT_WINDOW). It rewrites the SDL as it is read from disk, before the gateway builds
// its schema; src/ is untouched and runs exactly as deployed. A `typeDefs`/schema option on
// createGateway (or a per-client schema extension) would make this preload unnecessary.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const max = Number(process.env.BENCH_RATE_LIMIT_MAX ?? 1000);
const window = process.env.BENCH_RATE_LIMIT_WINDOW ?? '10s';
const field = /^(\s*dashboard: Dashboard @auth)$/m;
const original = fs.readFileSync;

// The overloads of readFileSync make a typed wrapper noisy; it only intercepts schema.graphql.
const patched = ((...args: Parameters<typeof original>) => {
  const result = original(...args);
  const path = args[0];
  const name = path instanceof URL ? path.pathname : String(path);
  if (!name.endsWith('/schema/schema.graphql') || typeof result !== 'string') return result;
  if (!field.test(result)) throw new Error('rate-limit-preload: Query.dashboard not found in the schema');
  return result.replace(field, `$1 @rateLimit(max: ${max}, window: "${window}")`);
}) as typeof original;
fs.readFileSync = patched;
syncBuiltinESMExports();
