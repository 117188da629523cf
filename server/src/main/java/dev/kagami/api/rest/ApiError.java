package dev.kagami.api.rest;

/**
 * The body of every error answer: {@code code} is the gRPC status name the same failure has over gRPC,
 * {@code status} the HTTP status, {@code message} what was wrong, written for the caller.
 */
public record ApiError(String code, int status, String message) {}
