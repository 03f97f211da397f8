import { LRUCache } from 'lru-cache';
import type { MoneyResolvers } from '../generated/resolvers-types.js';

/** A currency's formatter and its minor-unit exponent (2 for USD, 0 for JPY, 3 for KWD). */
interface CurrencyFormat {
  formatter: Intl.NumberFormat;
  scale: number;
}

// Intl.NumberFormat construction costs far more than formatting: keep one per currency. Its
// fraction digits are kept beside it: resolvedOptions() builds a fresh object on every call.
// Currency codes come from the services: bounded, so a service sending made-up codes cannot grow it.
const formats = new LRUCache<string, CurrencyFormat | 'invalid'>({ max: 512 });

function formatFor(currency: string): CurrencyFormat | null {
  let format = formats.get(currency);
  if (format === undefined) {
    try {
      const formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
      const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
      format = { formatter, scale: 10 ** digits };
    } catch {
      format = 'invalid'; // not an ISO 4217 code Intl knows
    }
    formats.set(currency, format);
  }
  return format === 'invalid' ? null : format;
}

/** `$12.99` for 1299 USD; minor units follow the currency (JPY has none, KWD has three). */
export function formatMoney(amount: number, currency: string): string {
  const format = formatFor(currency);
  if (!format) return `${(amount / 100).toFixed(2)} ${currency}`;
  return format.formatter.format(amount / format.scale);
}

export const Money: MoneyResolvers = {
  formatted: (money) => formatMoney(money.amount, money.currency),
};
