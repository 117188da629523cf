package dev.kagami.job;

import dev.kagami.error.KagamiException.InvalidInput;
import java.util.UUID;

/** A job's id: a random UUID, as text. */
public record JobId(String value) {

  public JobId {
    if (value == null || value.isBlank() || value.length() > 64) {
      throw new InvalidInput("a job id is 1-64 characters: '" + value + "'");
    }
  }

  public static JobId random() {
    return new JobId(UUID.randomUUID().toString());
  }

  @Override
  public String toString() {
    return value;
  }
}
