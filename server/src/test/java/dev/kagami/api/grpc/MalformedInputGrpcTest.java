package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.testing.MalformedInputs;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The table of {@link MalformedInputs}, every RPC, over a real channel: each case ends with the status the
 * API promises (bad input INVALID_ARGUMENT, a missing thing NOT_FOUND, a boundary case OK), and never
 * INTERNAL or UNKNOWN.
 */
@QuarkusTest
class MalformedInputGrpcTest {

  @Test
  void every_case_gets_the_promised_status() throws Exception {
    MalformedRequestGrpcTest.connect();
    try {
      var search = SearchServiceGrpc.newBlockingStub(MalformedRequestGrpcTest.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      MalformedInputs.setUp(search, 32);
      List<MalformedInputs.Case> cases = MalformedInputs.cases(32, 4096, 256);
      List<String> mismatches = new ArrayList<>();
      Map<String, Integer> seen = new TreeMap<>();
      for (MalformedInputs.Case c : cases) {
        Status s = MalformedRequestGrpcTest.call(c.method(), c.request());
        seen.merge(s.getCode().name(), 1, Integer::sum);
        if (s.getCode() != c.expected()) {
          mismatches.add(c.method().getBareMethodName() + " with " + c.what() + ": " + s + ", expected " + c.expected());
        }
      }
      System.out.printf("malformed and boundary inputs: %d cases over %d RPCs, %d mismatches, statuses %s%n", cases.size(),
          cases.stream().map(c -> c.method().getFullMethodName()).distinct().count(), mismatches.size(), seen);
      assertThat(mismatches).isEmpty();
    } finally {
      MalformedRequestGrpcTest.disconnect();
    }
  }
}
