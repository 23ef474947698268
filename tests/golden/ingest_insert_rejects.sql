INSERT INTO rejects
SELECT $source, $label || ' ' || loc, reason, left(raw, $keep), $now
FROM _stage WHERE reason IS NOT NULL
ON CONFLICT DO NOTHING
