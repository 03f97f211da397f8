// What the three servers under test (R, N, G) share: the benchmark query, the JWT secret and how
// money is formatted. Deliberately free of src/ imports: R and N are independent
// implementations, so their agreement with the gateway means something.

/** The README's dashboard query: five upstream calls for the gateway, four of them in parallel. */
export const dashboardQuery =
  '{ dashboard { user { name } recentOrders(limit: 2) { id status total { formatted } items { quantity product { name } } } notifications(limit: 2) { kind message read } unreadCount } }';

/** The POST body every load request carries. */
export const dashboardBody = JSON.stringify({ query: dashboardQuery });

/** S6: the same dashboard with three recommendations (one gRPC call, the products call shared). */
export const recommendationsLimit = 3;
export const dashboardWithRecommendationsQuery = dashboardQuery.replace(
  /\} \}$/,
  `recommendations(limit: ${recommendationsLimit}) { name } } }`,
);
export const dashboardWithRecommendationsBody = JSON.stringify({ query: dashboardWithRecommendationsQuery });

/**
 * The products the stub recommends to a user: fixed per demo user (`template`, users.ts), so
 * every copy of a demo user has the same dashboard, and spread over p1…p500.
 */
export function recommendedFor(template: number, limit: number): string[] {
  const n = template;
  return Array.from({ length: limit }, (_, k) => `p${((n * 7 + k * 13) % 500) + 1}`);
}

/** HS256 secret shared by the orchestrator (signing) and R, N, G (verifying). Bench only. */
export const benchSecret = 'switchboard-bench-secret-0123456789abcdef';

/** The API key S3 sends; it maps to a tier whose quota no run can reach. */
export const benchApiKey = 'bench-api-key-0123456789abcdef';

/** The limits the dashboard's `unreadCount` uses (src/resolvers/dashboard.ts: one page of 100). */
export const unreadCountPage = 100;

// Intl.NumberFormat construction costs far more than formatting: one per currency.
const formatters = new Map<string, Intl.NumberFormat>();

/** `$12.99` for 1299 USD: en-US, minor units as the currency defines them (as the gateway does). */
export function formatMoney(amount: number, currency: string): string {
  let formatter = formatters.get(currency);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(amount / 10 ** digits);
}

/** Newest first by RFC 3339 `createdAt`, as the gateway's loaders sort. */
export function newestFirst<T extends { createdAt: string }>(records: T[]): T[] {
  return records.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** The upstream records the dashboard reads (docs/upstreams.openapi.yaml), only the fields used. */
export interface Money {
  amount: number;
  currency: string;
}
export interface UserRecord {
  id: string;
  name: string;
}
export interface OrderRecord {
  id: string;
  status: string;
  total: Money;
  createdAt: string;
  items: { productId: string; quantity: number }[];
}
export interface ProductRecord {
  id: string;
  name: string;
}
export interface NotificationRecord {
  kind: string;
  message: string;
  read: boolean;
  createdAt: string;
}

/** Exits when the parent (the orchestrator) is gone, so a killed run leaves nothing listening. */
export function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}

/** Prints the line the orchestrator waits for: `READY {json}`. */
export function announceReady(info: Record<string, unknown>): void {
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}
