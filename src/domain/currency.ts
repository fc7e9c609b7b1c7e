/**
 * How many digits a currency's minor unit has, as Stripe counts them in API amounts: Stripe's API
 * gives amounts (a balance transaction's amount, fee, net) as integers in the minor unit, while
 * report files write major units ("10.00", "1500" for JPY). Both the tie-out (minor → major) and
 * the emulator (which writes both) need the same rule, so it lives here, in the lowest room.
 *
 * The lists are Stripe's: https://docs.stripe.com/currencies (sections "Zero-decimal currencies",
 * "Three-decimal currencies" and "Special cases"). Among the special cases, ISK, HUF and TWD are
 * still sent with two decimals for backwards compatibility, so they stay at 2 here.
 */

const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** 0 for zero-decimal currencies (jpy), 3 for three-decimal ones (kwd), 2 for every other. Case-insensitive. */
export function minorUnitDigits(currency: string): 0 | 2 | 3 {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}
