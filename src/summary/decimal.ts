/**
 * Exact decimal arithmetic for report amounts (big.js, never floats). Amounts are read strictly:
 * Stripe writes plain decimals (`-5301.77`, `1500`), so anything else (`12.3x`, an empty cell,
 * `1e3`) is refused rather than guessed at. Results keep the most decimals of what was added
 * (`10.50 + 2.25` is `12.75`, `1.10 + 1.10` is `2.20`, never `2.2`), without exponent notation.
 */
import Big from 'big.js';

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** Where an amount came from, for the error when it is not one. */
export interface AmountPlace {
  line?: number;
  column: string;
}

export class NotAnAmountError extends Error {
  constructor(
    readonly value: string,
    readonly place: AmountPlace,
  ) {
    super(`column ${place.column} holds ${JSON.stringify(value)}, which is not an amount`);
  }
}

/** The amount as the report wrote it, checked: a plain decimal, else NotAnAmountError naming where it was. */
export function parseAmount(value: string, place: AmountPlace): string {
  if (!PLAIN_DECIMAL.test(value)) throw new NotAnAmountError(value, place);
  return value;
}

function decimalsOf(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** A running total: exact, and written with as many decimals as the most precise amount added. */
export class DecimalSum {
  private value = new Big(0);
  private decimals = 0;

  /** Adds one amount as the report writes it; throws NotAnAmountError for anything else. */
  add(amount: string, place: AmountPlace): void {
    this.value = this.value.plus(parseAmount(amount, place));
    const d = decimalsOf(amount);
    if (d > this.decimals) this.decimals = d;
  }

  toString(): string {
    return this.value.toFixed(this.decimals);
  }
}

/** a + b of two amounts already checked (figures of summaries). */
export function addAmounts(a: string, b: string): string {
  return new Big(a).plus(b).toFixed(Math.max(decimalsOf(a), decimalsOf(b)));
}

/** a − b of two amounts already checked. */
export function subtractAmounts(a: string, b: string): string {
  return new Big(a).minus(b).toFixed(Math.max(decimalsOf(a), decimalsOf(b)));
}

/** Whether an amount is zero, whatever its decimals (`0`, `-0.00`). */
export function isZero(amount: string): boolean {
  return new Big(amount).eq(0);
}
