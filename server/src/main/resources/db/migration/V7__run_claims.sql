-- Version 7: fine-tuning runs across processes. A serving-only process (kagami.finetune.execute-runs=false)
-- records a run QUEUED; a training process claims it (QUEUED -> RUNNING, one conditional UPDATE, so two
-- processes never both take it) and trains it. A cancel asked of another process than the one training sets
-- cancel_requested; the trainer sees it at its next poll. Portable SQL (H2 2.x, PostgreSQL 12+).

ALTER TABLE finetune_runs ADD COLUMN cancel_requested BOOLEAN DEFAULT FALSE NOT NULL;
