package dev.kagami.app;

import java.nio.file.Path;

/**
 * Import an uploaded zip: either class folders (one folder per class, at the top or under one top
 * folder), or a manifest ({@code .jsonl}, {@code .ndjson} or {@code .csv} at the top) with its images, whose
 * paths are relative to it. {@code archive} is the uploaded file on the server and {@code size} its length.
 * Null fields take the defaults of {@link DatasetService}, as for {@link ImportDatasetCommand}.
 */
public record UploadDatasetCommand(String name, Path archive, long size, Integer limit, Long seed, Double trainFraction,
    Double validationFraction, Double testFraction, boolean classDisjoint) {}
