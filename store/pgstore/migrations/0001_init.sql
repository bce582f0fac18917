-- The initial layout. Keys are bytea, compared byte by byte, so ranges
-- sort exactly as bbolt's keys do and a NUL in a key is harmless.

CREATE SEQUENCE decision_id;

-- A decision is kept as the same JSON the bbolt store writes.
CREATE TABLE decisions (
	id   bigint PRIMARY KEY,
	body bytea  NOT NULL
);

-- Every index key a decision owns (store.IndexEntries), one row each: the
-- same keys as bbolt's idx_* buckets, so both stores answer from one
-- definition of what is indexed where.
CREATE TABLE decision_index (
	idx text   NOT NULL,
	key bytea  NOT NULL,
	id  bigint NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
	PRIMARY KEY (idx, key)
);
CREATE INDEX decision_index_id ON decision_index (id);

-- Slack event ids already handled; the primary key is the de-duplication.
CREATE TABLE events (
	id      bytea  PRIMARY KEY,
	seen_at bigint NOT NULL -- Unix nanoseconds
);
CREATE INDEX events_seen_at ON events (seen_at);

-- Request signatures already accepted (replay protection).
CREATE TABLE replay (
	sig       bytea  NOT NULL,
	signed_at bigint NOT NULL,
	PRIMARY KEY (signed_at, sig)
);

-- Messages waiting for Slack. header is the item as JSON without its body.
-- xid is the transaction that enqueued the item and seq its place:
-- xid * 65536 + its index in that transaction (see OutboxAfter).
CREATE TABLE outbox (
	key        bytea  PRIMARY KEY,
	xid        xid8   NOT NULL,
	seq        bigint NOT NULL UNIQUE,
	not_before bigint NOT NULL,
	header     bytea  NOT NULL,
	body       bytea  NOT NULL
);
CREATE INDEX outbox_due ON outbox (not_before, seq);

CREATE TABLE delivered (
	key bytea  PRIMARY KEY,
	at  bigint NOT NULL
);
CREATE INDEX delivered_at ON delivered (at);

CREATE TABLE refs (
	key bytea PRIMARY KEY,
	ref bytea NOT NULL
);

CREATE TABLE jobs (
	job   text   PRIMARY KEY,
	at    bigint NOT NULL, -- Unix nanoseconds, for comparison
	at_tz bytea  NOT NULL  -- time.Time.MarshalBinary, returned as stored
);

CREATE TABLE away (
	"user" text  PRIMARY KEY,
	body   bytea NOT NULL
);

CREATE TABLE probe (
	id int PRIMARY KEY,
	at bigint NOT NULL
);
