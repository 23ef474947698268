SELECT (SELECT count(*) - count(DISTINCT hash(id)) FROM activity WHERE ingested_at = $now)
     + (SELECT count(*) FROM activity WHERE ingested_at <> $now
        AND hash(id) IN (SELECT hash(id) FROM activity WHERE ingested_at = $now))
