-- Payouts per partner for a month (or any range), in each partner's own currency: approved conversions of the range and what
-- they pay now, and the clawbacks written in the range (reversals of approved conversions,
-- the partner's reversal ledger). Parameters: :from (the 1st), :end (the 1st of the next month),
-- :scan_from (:from - 1 day), :scan_to (:end).
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
),
approved AS (
  SELECT partner_id, coalesce(partner_currency, currency) AS currency, count(*) AS conversions,
         sum(coalesce(partner_payout, payout, 0)) AS payout
  FROM latest
  WHERE version = 1 AND status = 'approved' AND private = false
    AND created_at >= :from AND created_at < :end
  GROUP BY partner_id, coalesce(partner_currency, currency)
),
clawbacks AS (
  SELECT partner_id, currency, count(*) AS clawbacks, sum(coalesce(payout, 0)) AS clawed_back
  FROM (SELECT DISTINCT conversion_id, partner_id, coalesce(partner_currency, currency) AS currency,
               coalesce(partner_payout, payout) AS payout FROM conversion_events
        WHERE kind = 'clawback' AND dt BETWEEN :scan_from AND :scan_to
          AND created_at >= :from AND created_at < :end) AS once
  GROUP BY partner_id, currency
)
SELECT coalesce(a.partner_id, c.partner_id) AS partner_id,
       coalesce(a.currency, c.currency) AS currency,
       coalesce(a.conversions, 0) AS conversions,
       coalesce(a.payout, 0) AS payout,
       coalesce(c.clawbacks, 0) AS clawbacks,
       coalesce(c.clawed_back, 0) AS clawed_back
FROM approved AS a
FULL OUTER JOIN clawbacks AS c ON a.partner_id = c.partner_id AND a.currency = c.currency
ORDER BY partner_id, currency
