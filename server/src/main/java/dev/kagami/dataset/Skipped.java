package dev.kagami.dataset;

/** An input an importer did not take, and why. Importers never drop anything silently. */
public record Skipped(String ref, String reason) {}
