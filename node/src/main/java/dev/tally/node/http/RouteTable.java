package dev.tally.node.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.protobuf.ProtoUtils;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The HTTP routes of a set of gRPC services, built once at start-up from the
 * {@code google.api.http} options of their protobuf descriptors (additional bindings included):
 * the proto is the one place the REST mapping is written. Methods without the option (health,
 * reflection) get no route. Immutable once built; safe from any thread.
 */
final class RouteTable {
  /** What a request path and method resolved to. */
  sealed interface Lookup permits Found, WrongMethod, NotFound {}

  record Found(HttpRoute route, Map<String, String> rawVariables) implements Lookup {}

  /** The path exists for other methods only: 405 with Allow. */
  record WrongMethod(Set<String> allowed) implements Lookup {}

  record NotFound() implements Lookup {}

  private final List<HttpRoute> routes;

  private RouteTable(List<HttpRoute> routes) {
    this.routes = List.copyOf(routes);
  }

  /** @throws IllegalArgumentException when an annotation uses a shape this gateway does not serve */
  static RouteTable from(List<ServerServiceDefinition> services) {
    List<HttpRoute> out = new ArrayList<>();
    for (ServerServiceDefinition service : services) {
      if (!(service.getServiceDescriptor().getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier schema)) {
        continue;
      }
      for (Descriptors.MethodDescriptor m : schema.getServiceDescriptor().getMethods()) {
        if (!m.getOptions().hasExtension(AnnotationsProto.http)) {
          continue;
        }
        ServerMethodDefinition<?, ?> def = service.getMethod(
            MethodDescriptor.generateFullMethodName(schema.getServiceDescriptor().getFullName(), m.getName()));
        if (def == null) {
          continue;
        }
        MethodDescriptor<Message, Message> client = clientMethod(def.getMethodDescriptor());
        HttpRule rule = m.getOptions().getExtension(AnnotationsProto.http);
        List<HttpRule> rules = new ArrayList<>();
        rules.add(rule);
        rules.addAll(rule.getAdditionalBindingsList());
        for (HttpRule r : rules) {
          out.add(route(r, client, m));
        }
      }
    }
    return new RouteTable(out);
  }

  @SuppressWarnings("unchecked")
  private static MethodDescriptor<Message, Message> clientMethod(MethodDescriptor<?, ?> served) {
    Message request = ((MethodDescriptor.PrototypeMarshaller<Message>) served.getRequestMarshaller()).getMessagePrototype();
    Message response = ((MethodDescriptor.PrototypeMarshaller<Message>) served.getResponseMarshaller()).getMessagePrototype();
    return MethodDescriptor.<Message, Message>newBuilder(ProtoUtils.marshaller(request), ProtoUtils.marshaller(response))
        .setFullMethodName(served.getFullMethodName()).setType(served.getType()).build();
  }

  private static HttpRoute route(HttpRule r, MethodDescriptor<Message, Message> client, Descriptors.MethodDescriptor m) {
    String method;
    String path;
    switch (r.getPatternCase()) {
      case GET -> { method = "GET"; path = r.getGet(); }
      case POST -> { method = "POST"; path = r.getPost(); }
      case PUT -> { method = "PUT"; path = r.getPut(); }
      case PATCH -> { method = "PATCH"; path = r.getPatch(); }
      case DELETE -> { method = "DELETE"; path = r.getDelete(); }
      case CUSTOM -> { method = r.getCustom().getKind(); path = r.getCustom().getPath(); }
      default -> throw new IllegalArgumentException(m.getFullName() + ": google.api.http without a pattern");
    }
    PathTemplate template = PathTemplate.parse(path);
    for (String field : template.variables()) {
      if (FieldPaths.find(m.getInputType(), field) == null) {
        throw new IllegalArgumentException(m.getFullName() + ": path variable '" + field + "' is not a field of "
            + m.getInputType().getFullName());
      }
    }
    if (!r.getBody().isEmpty() && !r.getBody().equals("*") && m.getInputType().findFieldByName(r.getBody()) == null) {
      throw new IllegalArgumentException(m.getFullName() + ": body '" + r.getBody() + "' is not a field");
    }
    return new HttpRoute(method, template, r.getBody(), client, m);
  }

  List<HttpRoute> routes() {
    return routes;
  }

  Lookup find(String httpMethod, String rawPath) {
    Set<String> allowed = new LinkedHashSet<>();
    for (HttpRoute route : routes) {
      Optional<Map<String, String>> vars = route.template().match(rawPath);
      if (vars.isEmpty()) {
        continue;
      }
      if (route.httpMethod().equals(httpMethod) || httpMethod.equals("HEAD") && route.httpMethod().equals("GET")) {
        return new Found(route, vars.get());
      }
      allowed.add(route.httpMethod());
    }
    return allowed.isEmpty() ? new NotFound() : new WrongMethod(allowed);
  }
}
