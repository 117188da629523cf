package dev.kagami.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.rest.AuthFilter;
import dev.kagami.testing.RawCalls;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The access table names every gRPC method and REST route the server has, and nothing else. */
class AccessPolicyTest {

  static List<String> grpcMethods() throws Exception {
    List<String> out = new ArrayList<>();
    for (ServiceDescriptor sd : RawCalls.allServices()) {
      for (MethodDescriptor<?, ?> m : sd.getMethods()) {
        out.add(m.getFullMethodName());
      }
    }
    return out;
  }

  static List<String> restRoutes() {
    List<String> out = new ArrayList<>();
    for (com.tngtech.archunit.core.domain.JavaClass jc : new com.tngtech.archunit.core.importer.ClassFileImporter()
        .importPackages("dev.kagami.api.rest")) {
      Class<?> c = jc.reflect();
      if (!c.isAnnotationPresent(Path.class)) {
        continue;
      }
      for (Method m : c.getDeclaredMethods()) {
        if (m.isAnnotationPresent(GET.class) || m.isAnnotationPresent(POST.class) || m.isAnnotationPresent(PUT.class)
            || m.isAnnotationPresent(DELETE.class)) {
          out.add(AuthFilter.route(c, m));
        }
      }
    }
    return out;
  }

  @Test
  void every_method_and_route_is_in_the_table_and_the_table_holds_no_other() throws Exception {
    List<String> grpc = grpcMethods();
    List<String> rest = restRoutes();
    assertThat(grpc).hasSizeGreaterThan(40);
    assertThat(rest).hasSizeGreaterThan(40);
    TreeSet<String> missing = new TreeSet<>();
    for (String call : grpc) {
      if (AccessPolicy.required(call) == null) {
        missing.add(call);
      }
    }
    for (String call : rest) {
      if (AccessPolicy.required(call) == null) {
        missing.add(call);
      }
    }
    assertThat(missing).as("calls the access table does not know").isEmpty();
    TreeSet<String> stale = new TreeSet<>(AccessPolicy.table().keySet());
    stale.removeAll(grpc);
    stale.removeAll(rest);
    assertThat(stale).as("table entries no call has").isEmpty();
    System.out.println("access table: " + grpc.size() + " gRPC methods and " + rest.size() + " REST routes, each with a role");
  }

  @Test
  void health_is_the_only_public_call() {
    List<String> open = AccessPolicy.table().entrySet().stream().filter(e -> e.getValue().equals(Optional.empty()))
        .map(java.util.Map.Entry::getKey).toList();
    assertThat(open).containsExactlyInAnyOrder("grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch");
  }

  @Test
  void roles_include_the_roles_below_them() {
    assertThat(Role.ADMIN.allows(Role.WRITER)).isTrue();
    assertThat(Role.WRITER.allows(Role.READER)).isTrue();
    assertThat(Role.READER.allows(Role.WRITER)).isFalse();
    assertThat(Role.WRITER.allows(Role.ADMIN)).isFalse();
  }

  @Test
  void secrets_have_one_shape_and_are_stored_hashed() {
    Secrets s = new Secrets(new java.security.SecureRandom());
    String a = s.generate();
    assertThat(Secrets.wellFormed(a)).isTrue();
    assertThat(a).isNotEqualTo(s.generate());
    assertThat(Secrets.wellFormed("kgm_short")).isFalse();
    assertThat(Secrets.wellFormed(a + "x")).isFalse();
    assertThat(Secrets.sha256(a)).hasSize(64).doesNotContain(a.substring(4));
  }
}
