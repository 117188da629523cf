package dev.kagami.embedding;

/** CDI event: a model finished loading and warming up and now serves as the active model. */
public record ModelActivated(String name, String version) {}
