// The GETs of the upstream contract (docs/upstreams.openapi.yaml) over the prepared data, with the
// demo services' validation (src/demo/request-input.ts): a missing or empty id list, more than
// 100 ids, a limit out of range or an unreadOnly other than true/false is a 400 with the
// contract's `{"error": …}`. Batch answers list records in reverse order of the (deduplicated)
// ids asked, as the demo does, so a caller relying on the order fails here too.
import type { Body, PreparedData } from './prepared-data.js';
import { errorBody, type WireHandler, type WireReply } from './wire-server.js';

export type StubService = 'users' | 'orders' | 'notifications' | 'products';

export interface RouteOptions {
  /** Cache-Control of /products answers (the contract's is `public, max-age=60`). */
  productsCacheControl: string;
  /** Called once per request that is not GET /health: the bench's upstream-call counter. */
  onCall(service: StubService): void;
}

const maxIds = 100;
const healthy = errorlessBody('{"status":"ok"}');

class BadRequest extends Error {}

function errorlessBody(json: string): Body {
  const bytes = Buffer.from(json);
  return { pieces: [bytes], length: bytes.length };
}

/** `?a=1&b=2` as name → value (the last one wins); percent-decoded only when needed. */
function parseQuery(target: string, from: number): Map<string, string> {
  const query = new Map<string, string>();
  if (from < 0) return query;
  for (const pair of target.slice(from + 1).split('&')) {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const raw = equals < 0 ? '' : pair.slice(equals + 1);
    query.set(decode(name), decode(raw));
  }
  return query;
}

function decode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new BadRequest(`malformed query: ${text}`);
  }
}

function ids(query: Map<string, string>, name: string): string[] {
  const raw = query.get(name);
  if (raw === undefined) throw new BadRequest(`missing query parameter ${name}`);
  const list = raw.split(',');
  // The common case, one id, without the Set.
  if (list.length === 1) {
    const id = list[0]!.trim();
    if (id === '') throw new BadRequest(`${name} must list at least one id`);
    return [id];
  }
  const listed = list.map((id) => id.trim()).filter((id) => id !== '');
  if (listed.length === 0) throw new BadRequest(`${name} must list at least one id`);
  if (listed.length > maxIds) {
    throw new BadRequest(`${name} lists ${listed.length} ids; at most ${maxIds} are allowed`);
  }
  return [...new Set(listed)].reverse();
}

function integer(query: Map<string, string>, name: string, min: number, max: number, fallback: number) {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max))
    throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function boolean(query: Map<string, string>, name: string): boolean {
  const raw = query.get(name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new BadRequest(`${name} must be true or false`);
}

/** The handler of one service's server (every products replica gets its own). */
export function contractHandler(
  service: StubService,
  data: PreparedData,
  options: RouteOptions,
): WireHandler {
  const productsHeaders = `cache-control: ${options.productsCacheControl}\r\n`;
  const serve = (path: string, query: Map<string, string>): WireReply | undefined => {
    if (service === 'users' && path === '/users') {
      return { status: 200, headers: '', body: data.users(ids(query, 'ids')) };
    }
    if (service === 'orders' && path === '/orders') {
      const body = data.orders(ids(query, 'userIds'), integer(query, 'limit', 1, 50, 10));
      return { status: 200, headers: '', body };
    }
    if (service === 'notifications' && path === '/notifications') {
      const userIds = ids(query, 'userIds');
      const unreadOnly = boolean(query, 'unreadOnly');
      const body = data.notifications(userIds, unreadOnly, integer(query, 'limit', 1, 100, 20));
      return { status: 200, headers: '', body };
    }
    if (service === 'products' && path === '/products') {
      return { status: 200, headers: productsHeaders, body: data.products(ids(query, 'ids')) };
    }
    return undefined;
  };
  return (method, target) => {
    const queryAt = target.indexOf('?');
    const path = queryAt < 0 ? target : target.slice(0, queryAt);
    if (path === '/health') return { status: 200, headers: '', body: healthy };
    options.onCall(service);
    try {
      const reply = serve(path, parseQuery(target, queryAt));
      if (reply) return reply;
      // The contract's other paths (POST /orders, /users/{id}, …) are not needed by the bench.
      return {
        status: 404,
        headers: '',
        body: errorBody(`no such resource in the bench stub: ${method} ${path}`),
      };
    } catch (error) {
      if (error instanceof BadRequest) return { status: 400, headers: '', body: errorBody(error.message) };
      throw error;
    }
  };
}
