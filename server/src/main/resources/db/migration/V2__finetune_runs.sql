-- Version 2: fine-tuning runs. A run's configuration is kept as JSON (as the service received it, with
-- defaults filled in), its state and progress as columns, and every validation (and the final test
-- evaluation) as a row of run_history. Portable SQL: runs on H2 2.x and PostgreSQL 12+.

CREATE TABLE finetune_runs (
    id              VARCHAR(64)   NOT NULL PRIMARY KEY,
    created_at      TIMESTAMP     NOT NULL,
    updated_at      TIMESTAMP     NOT NULL,
    state           VARCHAR(16)   NOT NULL, -- QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
    config          TEXT          NOT NULL, -- JSON
    seed            BIGINT        NOT NULL,
    dataset         VARCHAR(200)  NOT NULL,
    base_model      VARCHAR(300)  NOT NULL,
    stage           VARCHAR(40)   NOT NULL,
    step            INTEGER       NOT NULL,
    total_steps     INTEGER       NOT NULL,
    result_model    VARCHAR(300),
    base_report_id  VARCHAR(64),
    tuned_report_id VARCHAR(64),
    error           VARCHAR(4000),
    timings         TEXT          NOT NULL  -- JSON object: seconds per stage
);
CREATE INDEX finetune_runs_created ON finetune_runs (created_at);

CREATE TABLE finetune_run_history (
    run_id     VARCHAR(64)  NOT NULL REFERENCES finetune_runs (id) ON DELETE CASCADE,
    seq        INTEGER      NOT NULL,
    at         TIMESTAMP    NOT NULL,
    stage      VARCHAR(40)  NOT NULL,
    step       INTEGER      NOT NULL,
    loss       DOUBLE PRECISION,
    kpis       TEXT         NOT NULL, -- JSON object: KPI name -> value
    best       BOOLEAN      NOT NULL, -- the stage's best so far by validation
    PRIMARY KEY (run_id, seq)
);
