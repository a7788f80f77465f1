package dev.tally.node.tls;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A node's certificate chain (leaf first) and the private key of its leaf, checked to belong
 * together. Immutable.
 */
public record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
  private static final byte[] PROBE = "tally key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  public KeyMaterial {
    chain = List.copyOf(chain);
    Objects.requireNonNull(key, "key");
    if (chain.isEmpty()) {
      throw new TlsFileException("the certificate chain is empty");
    }
  }

  /**
   * Reads and checks a cert/key pair: the key must sign what the leaf's public key verifies.
   *
   * @param certWhat and {@code keyWhat}: how to name the files in errors (setting and path)
   * @throws TlsFileException naming the file that is wrong
   */
  static KeyMaterial parse(byte[] cert, String certWhat, byte[] key, String keyWhat) {
    List<X509Certificate> chain = PemFiles.parseCertificates(cert, certWhat);
    PrivateKey privateKey = PemFiles.parsePrivateKey(key, keyWhat);
    if (!matches(chain.get(0), privateKey)) {
      throw new TlsFileException(keyWhat + " is not the private key of the first certificate in " + certWhat
          + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
    }
    return new KeyMaterial(chain, privateKey);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  private static boolean matches(X509Certificate cert, PrivateKey key) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (alg == null) {
      throw new TlsFileException("unsupported private key algorithm " + key.getAlgorithm() + " (use RSA or EC)");
    }
    try {
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(PROBE);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(PROBE);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
