package dev.tally.node.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM files with BouncyCastle: certificate chains and CA bundles ({@code CERTIFICATE} blocks,
 * in file order), and private keys as PKCS#8 ({@code PRIVATE KEY}) or PKCS#1/SEC1
 * ({@code RSA PRIVATE KEY}, {@code EC PRIVATE KEY}). Encrypted keys are refused with a message
 * saying so: the node has nowhere to keep a passphrase.
 */
public final class PemFiles {
  private PemFiles() {}

  /**
   * Every certificate of the file, in order (a chain: leaf first).
   *
   * @throws TlsFileException if the file cannot be read or holds no certificate
   */
  public static List<X509Certificate> readCertificates(Path file) {
    return parseCertificates(read(file), file.toString());
  }

  static List<X509Certificate> parseCertificates(byte[] content, String what) {
    List<X509Certificate> out = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = new PEMParser(reader(content))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new TlsFileException(what + " is not a valid PEM certificate file: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new TlsFileException(what + " holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)");
    }
    return List.copyOf(out);
  }

  /**
   * The file's private key.
   *
   * @throws TlsFileException if the file cannot be read, holds no key, or holds an encrypted one
   */
  public static PrivateKey readPrivateKey(Path file) {
    return parsePrivateKey(read(file), file.toString());
  }

  static PrivateKey parsePrivateKey(byte[] content, String what) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(reader(content))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new TlsFileException(what + " holds an encrypted private key; the node needs it unencrypted "
              + "(openssl pkey -in " + what + " -out plain-key.pem), readable only by the node's user (chmod 600)");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof TlsFileException t) {
        throw t;
      }
      throw new TlsFileException(what + " is not a valid PEM private key file: " + e.getMessage(), e);
    }
    throw new TlsFileException(what + " holds no PEM private key (expected -----BEGIN PRIVATE KEY----- or "
        + "-----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
  }

  static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException("cannot read " + file + ": " + e, e);
    }
  }

  private static Reader reader(byte[] content) {
    return new StringReader(new String(content, StandardCharsets.US_ASCII));
  }
}
