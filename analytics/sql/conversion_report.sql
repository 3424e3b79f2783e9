-- The conversion report: every conversion of the range in its latest state, newest first
-- (GET /admin/reports/conversions). Parameters: :from, :end (the day after :to), :scan_from (:from - 1 day).
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
)
SELECT conversion_id, created_at, offer_id, goal_id, goal_name, partner_id, advertiser_id,
       transaction_id, status, status_code, currency, payout, revenue, sale_amount,
       aff_sub, aff_sub2, aff_sub3, aff_sub4, aff_sub5, source, adjustments
FROM latest
WHERE version = 1 AND created_at >= :from AND created_at < :end
ORDER BY created_at DESC, conversion_id DESC
