package dev.kagami.persistence;

import java.time.Instant;

/** One row of {@code evaluation_reports}: the report's JSON document and the columns it is found by. */
public record StoredReport(String id, Instant createdAt, String model, String dataset, String split, String json) {}
