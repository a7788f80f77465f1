package dev.tally.node.http;

/** A request the gateway refuses before any call is made: 400 INVALID_ARGUMENT with this message, nothing applied. */
final class BadRequest extends RuntimeException {
  BadRequest(String message) {
    super(message, null, false, false);
  }
}
