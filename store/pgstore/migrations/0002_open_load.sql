-- Open decisions per decider, kept by every write that moves a decider
-- index key (see load.go): routing reads it on every proposal, and counting
-- decision_index instead read every open decision each time.
CREATE TABLE open_load (
	decider bytea  PRIMARY KEY,
	n       bigint NOT NULL
);

-- Decider keys are user 0 status 0 id.
INSERT INTO open_load (decider, n)
SELECT substring(key FROM 1 FOR p - 1), count(*)
FROM (SELECT key, position('\x00'::bytea IN key) AS p FROM decision_index WHERE idx = 'idx_decider') t
WHERE p > 0 AND substring(key FROM p + 1 FOR 5) = 'open'::bytea || '\x00'::bytea
GROUP BY 1;
