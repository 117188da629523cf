package dev.kagami.registry;

import java.util.List;

/**
 * What the promotion gate said about a candidate: every rule with the current version's figure, the
 * candidate's, the threshold it had to meet and whether it passed. {@code passed} when every rule passed.
 */
public record GateVerdict(boolean passed, String current, String candidate, String dataset, String split,
    String currentReportId, String candidateReportId, List<Rule> rules) {

  public GateVerdict {
    rules = List.copyOf(rules);
    if (passed != rules.stream().allMatch(Rule::passed)) {
      throw new IllegalArgumentException("a verdict passes exactly when every rule passes");
    }
  }

  /** The verdict of {@code rules}: passed when every one passed. */
  public static GateVerdict of(String current, String candidate, String dataset, String split, String currentReportId,
      String candidateReportId, List<Rule> rules) {
    return new GateVerdict(rules.stream().allMatch(Rule::passed), current, candidate, dataset, split, currentReportId,
        candidateReportId, rules);
  }

  /** One rule's outcome; figures are null where a report did not measure them (the rule then says why). */
  public record Rule(String name, Double current, Double candidate, String requirement, boolean passed, String note) {}

  /** The failing rules in one line, for an error message. */
  public String failures() {
    return String.join("; ", rules.stream().filter(r -> !r.passed()).map(r -> r.name() + ": " + r.note()).toList());
  }
}
