package dev.tally.client.internal;

import java.nio.file.Path;

/**
 * TLS for the client's channels. Internal: not part of the SDK's API.
 *
 * @param trustedCertificates PEM file of the CAs to trust, or null for the system's trust store
 * @param clientCertificateChain PEM certificate chain presented to the node, or null
 * @param clientPrivateKey PEM (PKCS#8) private key of that chain, or null
 * @param serverName the name to verify the node's certificate against (and send as authority),
 *     or null for the endpoint's host
 */
public record TlsSettings(
    Path trustedCertificates, Path clientCertificateChain, Path clientPrivateKey, String serverName) {

  /** Checks that a client certificate comes with its key. */
  public TlsSettings {
    if ((clientCertificateChain == null) != (clientPrivateKey == null)) {
      throw new IllegalArgumentException("a client certificate chain needs its private key");
    }
  }
}
