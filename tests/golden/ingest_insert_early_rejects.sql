INSERT INTO rejects SELECT $source, $label || ' ' || loc, reason, left(raw, $keep), $now
FROM _early ON CONFLICT DO NOTHING
