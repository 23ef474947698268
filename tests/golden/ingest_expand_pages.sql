SELECT r.first_loc + r.i AS loc, r.item::VARCHAR AS text, false AS blank
FROM (SELECT first_loc, skip, source, workspace, unnest(items) AS item,
                    generate_subscripts(items, 1) - 1 AS i
             FROM (SELECT first_loc, skip, source, workspace, json_extract(body, '$[*]') AS items FROM _pages)) AS r
        WHERE r.skip IS NULL OR NOT list_contains(r.skip, r.i::INTEGER)
ORDER BY loc
