-- Conversions by UTC day, offer, goal and partner (GET /admin/stats?interval=day&group_by=offer,goal,partner).
-- Parameters: :from, :end (the day after :to), :scan_from (:from - 1 day), :scan_to (:to + 1 day).
-- Clicks belong to the offer, not a goal: they are on the offer's goal_id '' row, as in the stats.
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
),
conversions AS (
  SELECT * FROM latest WHERE version = 1 AND created_at >= :from AND created_at < :end
),
clicks_once AS (
  SELECT DISTINCT transaction_id, offer_id, partner_id, clicked_at FROM clicks
  WHERE dt BETWEEN :scan_from AND :scan_to AND clicked_at >= :from AND clicked_at < :end
),
events AS (
  SELECT substr(clicked_at, 1, 10) AS day, offer_id, '' AS goal_id, partner_id, '' AS currency,
         1 AS clicks, 0 AS conversions, 0 AS pending, 0 AS rejected,
         CAST(0 AS DECIMAL(18, 5)) AS payout, CAST(0 AS DECIMAL(18, 5)) AS revenue,
         CAST(0 AS DECIMAL(18, 5)) AS sale_amount
  FROM clicks_once
  UNION ALL
  SELECT substr(created_at, 1, 10), offer_id, goal_id, partner_id, currency,
         0,
         CASE WHEN status = 'approved' THEN 1 ELSE 0 END,
         CASE WHEN status = 'pending' THEN 1 ELSE 0 END,
         CASE WHEN status = 'rejected' THEN 1 ELSE 0 END,
         CASE WHEN status = 'approved' THEN coalesce(payout, 0) ELSE 0 END,
         CASE WHEN status = 'approved' THEN coalesce(revenue, 0) ELSE 0 END,
         CASE WHEN status = 'approved' THEN coalesce(sale_amount, 0) ELSE 0 END
  FROM conversions
)
SELECT day, offer_id, goal_id, partner_id, max(currency) AS currency,
       sum(clicks) AS clicks, sum(conversions) AS conversions, sum(pending) AS pending,
       sum(rejected) AS rejected, sum(payout) AS payout, sum(revenue) AS revenue,
       sum(sale_amount) AS sale_amount, sum(revenue) - sum(payout) AS profit
FROM events
GROUP BY day, offer_id, goal_id, partner_id
ORDER BY day, offer_id, goal_id, partner_id
