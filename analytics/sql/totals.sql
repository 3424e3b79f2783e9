-- Totals for a range of UTC days in the base currency (per base currency, should it have
-- changed): the figures of GET /admin/stats (totals, money=base). Rows exported before
-- currencies were kept have no base columns: their own amounts stand for them.
-- Parameters: :from, :end (the day after :to), :scan_from (:from - 1 day), :scan_to (:to + 1 day).
-- A conversion counts in the hour it happened, with its latest status (the last row of its
-- changes): approved adds its money, pending and rejected (refusals too) are counted only.
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
),
conversions AS (
  SELECT * FROM latest WHERE version = 1 AND created_at >= :from AND created_at < :end
),
clicks_once AS (
  SELECT DISTINCT transaction_id FROM clicks
  WHERE dt BETWEEN :scan_from AND :scan_to AND clicked_at >= :from AND clicked_at < :end
)
SELECT
  coalesce(base_currency, currency) AS currency,
  (SELECT count(*) FROM clicks_once) AS clicks,
  sum(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS conversions,
  sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
  sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
  sum(CASE WHEN status = 'approved' THEN coalesce(base_payout, payout, 0) ELSE 0 END) AS payout,
  sum(CASE WHEN status = 'approved' THEN coalesce(base_revenue, revenue, 0) ELSE 0 END) AS revenue,
  sum(CASE WHEN status = 'approved' THEN coalesce(base_sale_amount, sale_amount, 0) ELSE 0 END) AS sale_amount,
  sum(CASE WHEN status = 'approved'
      THEN coalesce(base_revenue, revenue, 0) - coalesce(base_payout, payout, 0) ELSE 0 END) AS profit
FROM conversions
GROUP BY coalesce(base_currency, currency)
ORDER BY 1
