SELECT count(*), count(reason),
       count(*) FILTER (WHERE reason IS NULL) - count(DISTINCT id) FILTER (WHERE reason IS NULL),
       (SELECT count(*) FROM _stage AS s SEMI JOIN _known AS a ON a.id = s.id
        WHERE s.reason IS NULL)
FROM _stage
