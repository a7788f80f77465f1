package dev.tally.node.tls;

import java.nio.file.Path;

/**
 * The PKCS12 key store (the node's key and chain) and trust store (tls-ca) that Atomix's messaging
 * service loads for the membership port, both under one random password that lives only in memory.
 * Written from the PEM files at start; Atomix cannot reload them, so membership picks up a rotated
 * certificate at the next restart (the client and peer ports reload live).
 */
public record MembershipStores(Path keyStore, Path trustStore, String password) {
  @Override
  public String toString() {
    return "MembershipStores[" + keyStore + ", " + trustStore + "]"; // never the password
  }
}
