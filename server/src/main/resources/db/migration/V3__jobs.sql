-- Version 3: durable jobs (dataset imports, evaluations, re-indexing, fine-tuning runs). A job keeps the
-- request that started it (JSON), its state and progress, and its result (JSON) or failure. Portable SQL:
-- runs on H2 2.x and PostgreSQL 12+.

CREATE TABLE jobs (
    id            VARCHAR(64)   NOT NULL PRIMARY KEY,
    kind          VARCHAR(32)   NOT NULL, -- IMPORT_DATASET, EVALUATION, REINDEX, FINETUNE
    state         VARCHAR(16)   NOT NULL, -- QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
    created_at    TIMESTAMP     NOT NULL,
    updated_at    TIMESTAMP     NOT NULL,
    request       TEXT          NOT NULL, -- JSON
    stage         VARCHAR(200)  NOT NULL,
    done          BIGINT        NOT NULL,
    total         BIGINT        NOT NULL,
    eta_seconds   DOUBLE PRECISION NOT NULL,
    result        TEXT,                   -- JSON, when SUCCEEDED
    error_kind    VARCHAR(32),            -- dev.kagami.error.ErrorKind, when FAILED or CANCELLED
    error         VARCHAR(4000)
);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state ON jobs (state);
