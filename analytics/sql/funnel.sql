-- The funnel per offer: its sessions (clicks), then each goal and how many reached it
-- (approved and pending conversions, as GET /admin/reports/funnel counts them), with the
-- share of sessions. Parameters: :from, :end (the day after :to), :scan_from (:from - 1 day),
-- :scan_to (:to + 1 day).
WITH latest AS (
  SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY seq DESC) AS version
  FROM conversion_events
  WHERE kind = 'conversion' AND dt >= :scan_from
),
reached AS (
  SELECT offer_id, goal_id, max(goal_name) AS goal_name, count(*) AS reached
  FROM latest
  WHERE version = 1 AND status IN ('approved', 'pending') AND goal_id <> ''
    AND created_at >= :from AND created_at < :end
  GROUP BY offer_id, goal_id
),
sessions AS (
  SELECT offer_id, count(DISTINCT transaction_id) AS sessions FROM clicks
  WHERE dt BETWEEN :scan_from AND :scan_to AND clicked_at >= :from AND clicked_at < :end
  GROUP BY offer_id
)
SELECT s.offer_id, r.goal_id, r.goal_name, s.sessions, coalesce(r.reached, 0) AS reached,
       CASE WHEN s.sessions > 0
            THEN round(CAST(coalesce(r.reached, 0) AS DECIMAL(18, 4)) * 100 / s.sessions, 2) END
         AS rate_from_sessions
FROM sessions AS s
LEFT JOIN reached AS r ON r.offer_id = s.offer_id
ORDER BY s.offer_id, reached DESC, r.goal_id
