package dev.kagami.api.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.kagami.error.ErrorKind;
import dev.kagami.error.Failure;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Where failures become HTTP answers: the status comes from {@link ErrorKind}'s table (the same one gRPC
 * uses), the message from {@link Failure#of}. A body that is not valid JSON, or holds a value of the wrong
 * type or an unknown enum constant, is a 400 that names the field. No stack trace is ever sent.
 */
public class ErrorMapper {

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
  public Response mapJson(JsonProcessingException e) {
    return answer(ErrorKind.INVALID_ARGUMENT, json(e));
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
  public Response mapMismatch(MismatchedInputException e) {
    return answer(ErrorKind.INVALID_ARGUMENT, json(e));
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
  public Response mapHttp(WebApplicationException w) {
    if (w.getCause() instanceof JsonProcessingException j) {
      return answer(ErrorKind.INVALID_ARGUMENT, json(j));
    }
    int status = w.getResponse().getStatus();
    return answer(status, kindOf(status).grpcCode(), http(status, w));
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
  public Response map(Throwable t) {
    Throwable e = Failure.unwrap(t);
    if (e instanceof JsonProcessingException j) {
      return answer(ErrorKind.INVALID_ARGUMENT, json(j));
    }
    if (e instanceof WebApplicationException w) {
      return mapHttp(w);
    }
    Failure f = Failure.of(e);
    return answer(f.kind(), f.message());
  }

  static Response answer(ErrorKind kind, String message) {
    return answer(kind.httpStatus(), kind.grpcCode(), message);
  }

  private static Response answer(int status, String code, String message) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(code, status, message)).build();
  }

  /** What JAX-RS itself refused (no such route, method not allowed, unsupported media type, body too large). */
  private static String http(int status, WebApplicationException w) {
    return switch (status) {
      case 404 -> "no such resource";
      case 405 -> "method not allowed";
      case 406 -> "cannot produce an acceptable media type";
      case 413 -> "the request body is over the server's limit";
      case 415 -> "unsupported media type";
      default -> w.getResponse().getStatusInfo().getReasonPhrase();
    };
  }

  private static ErrorKind kindOf(int status) {
    return switch (status) {
      case 404 -> ErrorKind.NOT_FOUND;
      case 413, 429 -> ErrorKind.RESOURCE_EXHAUSTED;
      case 503 -> ErrorKind.UNAVAILABLE;
      default -> status >= 500 ? ErrorKind.INTERNAL : ErrorKind.INVALID_ARGUMENT;
    };
  }

  /** A message naming the field, without Jackson's source location or class names. */
  private static String json(JsonProcessingException j) {
    String path = j instanceof MismatchedInputException m ? m.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[") : "";
    String where = path.isEmpty() ? "" : " at '" + path + "'";
    if (j instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
      return "bad value '" + f.getValue() + "'" + where + "; allowed: " + Arrays.stream(f.getTargetType().getEnumConstants())
          .map(Object::toString).collect(Collectors.joining(", "));
    }
    if (j instanceof UnrecognizedPropertyException u) {
      return "unknown field '" + u.getPropertyName() + "'" + where;
    }
    if (j instanceof MismatchedInputException) {
      return "a value of the wrong type" + where;
    }
    return "the body is not valid JSON: " + j.getOriginalMessage();
  }
}
