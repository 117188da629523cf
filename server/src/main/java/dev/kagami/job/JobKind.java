package dev.kagami.job;

/** What a job does. Each kind has its own workers and queue ({@code kagami.jobs.*}). */
public enum JobKind {
  IMPORT_DATASET,
  EVALUATION,
  REINDEX,
  FINETUNE
}
