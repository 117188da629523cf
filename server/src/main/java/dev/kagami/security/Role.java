package dev.kagami.security;

/** What a key may do; each role may do everything the roles before it may. */
public enum Role {
  /** Embed, Search, Get, Stats, and List/Get of datasets, reports, runs, models, jobs. */
  READER,
  /** Also Upsert, Delete, collections and aliases of collections, ImportDataset. */
  WRITER,
  /** Also fine-tuning, evaluation, the model lifecycle (import, load, promote, rollback, gate rules), keys, audit. */
  ADMIN;

  public boolean allows(Role required) {
    return compareTo(required) >= 0;
  }
}
