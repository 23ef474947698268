SELECT count(*) - count(DISTINCT h) FROM (
    SELECT hash(id) AS h FROM activity
    WHERE hash(id) IN (SELECT hash(id) FROM activity WHERE ingested_at = $now)
)
