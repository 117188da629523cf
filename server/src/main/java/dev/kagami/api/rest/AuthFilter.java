package dev.kagami.api.rest;

import dev.kagami.app.AuthService;
import dev.kagami.security.AccessPolicy;
import dev.kagami.security.Principal;
import dev.kagami.security.Role;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Cookie;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Every REST call to a resource passes here first: its route ({@code VERB /path/{param}}, as the resource
 * declares it) and key ({@code Authorization: Bearer kgm_...}, {@code X-Api-Key}, or the console's
 * {@code kagami_key} cookie, which event streams need) are checked against the access table; admin routes are
 * written to the audit log with their status. The console's files and /q are not resources and need no key.
 */
public class AuthFilter {

  static final String PRINCIPAL = "kagami.principal";
  static final String ROUTE = "kagami.route";
  public static final String COOKIE = "kagami_key";

  private final AuthService auth;
  private final Map<Method, String> routes = new ConcurrentHashMap<>();

  public AuthFilter(AuthService auth) {
    this.auth = auth;
  }

  /** The route of a resource method as the access table names it. */
  public static String route(Class<?> resource, Method m) {
    String verb = m.isAnnotationPresent(GET.class) ? "GET" : m.isAnnotationPresent(POST.class) ? "POST"
        : m.isAnnotationPresent(PUT.class) ? "PUT" : m.isAnnotationPresent(DELETE.class) ? "DELETE" : "?";
    Path base = resource.getAnnotation(Path.class);
    Path sub = m.getAnnotation(Path.class);
    String path = (base == null ? "" : base.value()) + (sub == null ? "" : (sub.value().startsWith("/") ? "" : "/") + sub.value());
    return verb + " " + path;
  }

  /** Who the audit trail names for a call: the key's name when a key was checked, else what the caller claims. */
  static String actor(ContainerRequestContext ctx, String claimed) {
    return ctx.getProperty(PRINCIPAL) instanceof Principal p && p.authenticated() ? p.name() : claimed;
  }

  static String secret(ContainerRequestContext ctx) {
    String a = ctx.getHeaderString("Authorization");
    if (a != null && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return a.substring(7).trim();
    }
    String k = ctx.getHeaderString("X-Api-Key");
    if (k != null) {
      return k.trim();
    }
    Cookie c = ctx.getCookies().get(COOKIE);
    return c == null ? null : c.getValue();
  }

  @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.AUTHENTICATION)
  public void check(ContainerRequestContext ctx, ResourceInfo info) {
    if (info == null || info.getResourceMethod() == null) {
      return; // no resource matched: a 404 follows
    }
    String route = routes.computeIfAbsent(info.getResourceMethod(), m -> route(info.getResourceClass(), m));
    Principal who = auth.authorize(route, secret(ctx)); // throws: mapped to 401/403 by ErrorMapper
    ctx.setProperty(PRINCIPAL, who);
    ctx.setProperty(ROUTE, route);
  }

  @ServerResponseFilter
  public void audit(ContainerRequestContext req, ContainerResponseContext res) {
    Object who = req.getProperty(PRINCIPAL);
    Object route = req.getProperty(ROUTE);
    if (!(who instanceof Principal p) || !(route instanceof String r) || !auth.required()
        || AccessPolicy.required(r).filter(x -> x == Role.ADMIN).isEmpty()) {
      return;
    }
    try {
      auth.audit(p, "rest " + r, Integer.toString(res.getStatus()), req.getUriInfo().getPath());
    } catch (RuntimeException e) {
      // the answer must not depend on the audit log's database
    }
  }
}
