-- Net volume by currency for the period, from the ledger (balance transactions).
-- The period's bounds come in through the interval_start and interval_end placeholders, which the
-- project renders as TIMESTAMP literals in UTC. Amounts are in the currency's minor unit (cents).
SELECT
  currency,
  COUNT(*) AS transactions,
  SUM(amount) AS gross,
  SUM(fee) AS fees,
  SUM(net) AS net
FROM balance_transactions
WHERE created >= {{interval_start}}
  AND created < {{interval_end}}
GROUP BY currency
ORDER BY currency
