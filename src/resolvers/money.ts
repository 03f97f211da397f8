import type { MoneyResolvers } from '../generated/resolvers-types.js';

// Intl.NumberFormat construction costs far more than formatting: keep one per currency.
const formatters = new Map<string, Intl.NumberFormat | null>();

function formatterFor(currency: string): Intl.NumberFormat | null {
  let formatter = formatters.get(currency);
  if (formatter === undefined) {
    try {
      formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      formatter = null; // not an ISO 4217 code Intl knows
    }
    // Bounded: currency codes come from services; don't let junk grow the map forever.
    if (formatters.size < 512) formatters.set(currency, formatter);
  }
  return formatter;
}

/** `$12.99` for 1299 USD; minor units follow the currency (JPY has none, KWD has three). */
export function formatMoney(amount: number, currency: string): string {
  const formatter = formatterFor(currency);
  if (!formatter) return `${(amount / 100).toFixed(2)} ${currency}`;
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(amount / 10 ** digits);
}

export const Money: MoneyResolvers = {
  formatted: (money) => formatMoney(money.amount, money.currency),
};
