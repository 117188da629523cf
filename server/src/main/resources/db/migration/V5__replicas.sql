-- Version 5: the servers (replicas) that share this database. Each writes its heartbeat every poll interval
-- with the alias generations it serves ("production=kagami-clip/2@3,candidate=..."), so a Promote can wait
-- until every live replica serves the new version, and say which did not. Portable SQL (H2 2.x, PostgreSQL 12+).

CREATE TABLE replicas (
    id            VARCHAR(128)  NOT NULL PRIMARY KEY,
    host          VARCHAR(256)  NOT NULL,
    started_at    TIMESTAMP     NOT NULL,
    last_seen     TIMESTAMP     NOT NULL,
    serving       VARCHAR(4000) NOT NULL
);
