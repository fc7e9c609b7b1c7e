/**
 * Reporting categories that are payouts (https://docs.stripe.com/reports/reporting-categories).
 * Stripe's balance reports keep them apart from activity: "the Balance change from activity
 * section ... includes all transactions except for payouts that affect your balance"
 * (https://docs.stripe.com/reports/balance). The emulator writes its reports by this rule and the
 * tie-out checks them by it.
 */
export const PAYOUT_CATEGORIES: readonly string[] = ['payout', 'payout_reversal'];

export function isPayoutCategory(reportingCategory: string): boolean {
  return PAYOUT_CATEGORIES.includes(reportingCategory);
}
