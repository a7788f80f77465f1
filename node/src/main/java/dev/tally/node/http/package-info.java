/**
 * The node's HTTP/JSON port: a transcoding gateway ({@link dev.tally.node.http.HttpGateway}) that
 * serves the {@code google.api.http} routes of the node's gRPC services by calling them
 * in-process, Server-Sent Events for Watch, the OpenAPI document and the console's static files
 * (classpath {@code console/}). Only {@code HttpGateway} is public; the rest is its insides.
 */
package dev.tally.node.http;
