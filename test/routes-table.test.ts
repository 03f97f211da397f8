// The route table on its own: which route a request target belongs to and what path the service
// receives. The end-to-end files (routes*.test.ts) prove the same through a real gateway.
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../src/config/types.js';
import { createRouteTable } from '../src/routes/table.js';

const route = (path: string, upstream: string, rewrite?: string): RouteConfig => {
  const config: RouteConfig = { path, upstream, methods: ['GET'], auth: 'none' };
  if (rewrite !== undefined) config.rewrite = rewrite;
  return config;
};

const table = createRouteTable([
  route('/api', 'users', '/v1'),
  route('/api/products', 'products', '/products'),
  route('/strip', 'orders', '/'),
  route('/keep', 'notifications'),
]);

/** Where a target goes: `service path+search`, or undefined. */
const where = (target: string, routes = table) => {
  const match = routes.match(target);
  return match && `${match.route.upstream} ${match.path}${match.search}${match.unsafe ? ' (unsafe)' : ''}`;
};

describe('createRouteTable', () => {
  it.each([
    ['/api/products?ids=p1', 'products /products?ids=p1'],
    ['/api/products/p1', 'products /products/p1'],
    // The longest prefix wins, whatever the order in the file.
    ['/api/productsx', 'users /v1/productsx'],
    ['/api', 'users /v1'],
    ['/api/', 'users /v1/'],
    ['/strip', 'orders /'],
    ['/strip/x?y=%2F', 'orders /x?y=%2F'],
    ['/keep/a', 'notifications /keep/a'],
    ['/keep/a/../../b', 'notifications /keep/a/../../b (unsafe)'],
    ['/keep/%2E', 'notifications /keep/%2E (unsafe)'],
    ['/keep/a%5C..', 'notifications /keep/a%5C.. (unsafe)'],
    ['/keep/a..b/.x', 'notifications /keep/a..b/.x'],
  ])('%s goes to %s', (target, expected) => {
    expect(where(target)).toBe(expected);
  });

  it.each(['/', '/apix', '/API', '//api', 'http://evil/api', '*'])('%s matches no route', (target) => {
    expect(where(target)).toBeUndefined();
  });

  it('a route at / takes every path the others leave', () => {
    const withRoot = createRouteTable([route('/', 'users', '/base'), route('/api', 'products')]);
    expect(where('/anything?x', withRoot)).toBe('users /base/anything?x');
    expect(where('/', withRoot)).toBe('users /base/');
    expect(where('/api/p', withRoot)).toBe('products /api/p');
    expect(where('http://evil/x', withRoot)).toBeUndefined();
  });
});
