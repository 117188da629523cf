-- Kagami's relational store, version 1: datasets (items kept by reference, with their split) and
-- evaluation reports. Portable SQL: runs on H2 2.x and PostgreSQL 12+.

CREATE TABLE datasets (
    id                  VARCHAR(64)   NOT NULL PRIMARY KEY,
    name                VARCHAR(200)  NOT NULL UNIQUE,
    source              VARCHAR(2000) NOT NULL,
    created_at          TIMESTAMP     NOT NULL,
    split_seed          BIGINT        NOT NULL,
    split_kind          VARCHAR(20)   NOT NULL,
    train_fraction      DOUBLE PRECISION NOT NULL,
    validation_fraction DOUBLE PRECISION NOT NULL,
    test_fraction       DOUBLE PRECISION NOT NULL,
    classes             TEXT          NOT NULL -- JSON array of class labels, sorted; index = class id
);

CREATE TABLE dataset_items (
    dataset_id VARCHAR(64)   NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    item_id    VARCHAR(1000) NOT NULL,
    seq        INTEGER       NOT NULL, -- import order
    label      VARCHAR(500)  NOT NULL,
    split      VARCHAR(12)   NOT NULL,
    image_ref  VARCHAR(2000) NOT NULL, -- a file path, or idx:<file>#<index>
    captions   TEXT          NOT NULL, -- JSON array
    metadata   TEXT          NOT NULL, -- JSON object
    PRIMARY KEY (dataset_id, item_id)
);
CREATE INDEX dataset_items_seq ON dataset_items (dataset_id, seq);

CREATE TABLE dataset_skipped (
    dataset_id VARCHAR(64)   NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    seq        INTEGER       NOT NULL,
    ref        VARCHAR(2000) NOT NULL,
    reason     VARCHAR(2000) NOT NULL,
    PRIMARY KEY (dataset_id, seq)
);

CREATE TABLE evaluation_reports (
    id         VARCHAR(64)  NOT NULL PRIMARY KEY,
    created_at TIMESTAMP    NOT NULL,
    model      VARCHAR(300) NOT NULL,
    dataset    VARCHAR(200) NOT NULL,
    split      VARCHAR(12)  NOT NULL,
    report     TEXT         NOT NULL -- the EvaluationReport as JSON
);
CREATE INDEX evaluation_reports_created ON evaluation_reports (created_at);
