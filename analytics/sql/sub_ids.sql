-- Sub-id breakdown: clicks and conversions per partner, offer and aff_sub (the partner's own
-- placement id), with aff_sub2 and source. Parameters: :from, :end (the day after :to),
-- :scan_from (:from - 1 day), :scan_to (:to + 1 day).
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
),
conversions AS (
  SELECT * FROM latest WHERE version = 1 AND created_at >= :from AND created_at < :end
),
clicks_once AS (
  SELECT DISTINCT transaction_id, offer_id, partner_id, aff_sub, aff_sub2, source FROM clicks
  WHERE dt BETWEEN :scan_from AND :scan_to AND clicked_at >= :from AND clicked_at < :end
),
events AS (
  SELECT partner_id, offer_id, aff_sub, aff_sub2, source, 1 AS clicks, 0 AS conversions,
         0 AS pending, CAST(0 AS DECIMAL(18, 5)) AS payout, CAST(0 AS DECIMAL(18, 5)) AS revenue
  FROM clicks_once
  UNION ALL
  SELECT partner_id, offer_id, aff_sub, aff_sub2, source, 0,
         CASE WHEN status = 'approved' THEN 1 ELSE 0 END,
         CASE WHEN status = 'pending' THEN 1 ELSE 0 END,
         CASE WHEN status = 'approved' THEN coalesce(payout, 0) ELSE 0 END,
         CASE WHEN status = 'approved' THEN coalesce(revenue, 0) ELSE 0 END
  FROM conversions
)
SELECT partner_id, offer_id, aff_sub, aff_sub2, source,
       sum(clicks) AS clicks, sum(conversions) AS conversions, sum(pending) AS pending,
       sum(payout) AS payout, sum(revenue) AS revenue
FROM events
GROUP BY partner_id, offer_id, aff_sub, aff_sub2, source
ORDER BY partner_id, offer_id, aff_sub, aff_sub2, source
