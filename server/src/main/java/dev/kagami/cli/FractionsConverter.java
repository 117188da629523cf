package dev.kagami.cli;

import dev.kagami.dataset.Splits;
import picocli.CommandLine;

/** Parses {@code TRAIN,VALIDATION,TEST} fractions, e.g. {@code 0.8,0.1,0.1}. */
final class FractionsConverter implements CommandLine.ITypeConverter<Splits.Fractions> {
  @Override
  public Splits.Fractions convert(String value) {
    String[] p = value.split(",");
    if (p.length != 3) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not three fractions TRAIN,VALIDATION,TEST");
    }
    try {
      return new Splits.Fractions(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()),
          Double.parseDouble(p[2].trim()));
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' holds a value that is not a number");
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException("'" + value + "': " + e.getMessage());
    }
  }
}
