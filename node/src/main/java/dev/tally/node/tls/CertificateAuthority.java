package dev.tally.node.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for development and tests (BouncyCastle's
 * {@link X509v3CertificateBuilder}, no hand-written ASN.1): it makes its own self-signed CA
 * certificate and issues node certificates (CN and a DNS SAN = the node name, every host as a DNS
 * or IP SAN, server and client auth) and client certificates (client auth only). Used by
 * {@code tally certs create}, {@code tally up --tls} and the TLS tests. Not a production CA: its key
 * lives in a file next to the certificates.
 */
public final class CertificateAuthority {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Key algorithms of issued certificates: EC P-256 (default, fast), or RSA 2048. */
  public enum KeyType { EC, RSA }

  /** How a private key is written: PKCS#8 ({@code PRIVATE KEY}) or the traditional PKCS#1/SEC1 form. */
  public enum KeyFormat { PKCS8, TRADITIONAL }

  /** An issued certificate with its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** Writes the certificate as PEM (0644); refuses to replace a file unless {@code force}. */
    public void writeCertificate(Path file, boolean force) {
      writePem(file, certificatePem(certificate), false, force);
    }

    /** Writes the private key as PEM, readable by its owner only (0600). */
    public void writeKey(Path file, KeyFormat format, boolean force) {
      writePem(file, keyPem(key, format), true, force);
    }

    public KeyMaterial material() {
      return new KeyMaterial(List.of(certificate), key);
    }
  }

  private final X509Certificate certificate;
  private final PrivateKey key;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** A new CA named {@code cn}, valid from an hour ago for {@code validity}. */
  public static CertificateAuthority create(String cn, Duration validity) {
    Instant now = Instant.now();
    KeyPair pair = generate(KeyType.EC);
    X500Name subject = name(cn);
    X509Certificate cert = build(subject, pair.getPublic(), subject, pair.getPrivate(), null,
        now.minus(Duration.ofHours(1)), now.plus(validity), b -> {
          b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
          b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        });
    return new CertificateAuthority(cert, pair.getPrivate());
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  /** A node certificate valid for {@code validity} from an hour ago (see {@link #issue}). */
  public Issued issueNode(String name, List<String> hosts, Duration validity) {
    Instant now = Instant.now();
    return issue(name, hosts, true, now.minus(Duration.ofHours(1)), now.plus(validity), KeyType.EC);
  }

  /** A client certificate (client auth only, CN = {@code name}) valid for {@code validity}. */
  public Issued issueClient(String name, Duration validity) {
    Instant now = Instant.now();
    return issue(name, List.of(), false, now.minus(Duration.ofHours(1)), now.plus(validity), KeyType.EC);
  }

  /**
   * Issues a certificate with CN = {@code name}.
   *
   * @param hosts DNS names and IP addresses added as SANs (a node's name is added as a DNS SAN too)
   * @param node true for a node certificate (server and client auth, name as DNS SAN); false for a
   *     client one (client auth only)
   */
  public Issued issue(String name, List<String> hosts, boolean node, Instant notBefore, Instant notAfter,
      KeyType keyType) {
    Objects.requireNonNull(name, "name");
    KeyPair pair = generate(keyType);
    List<GeneralName> sans = new ArrayList<>();
    if (node) {
      sans.add(new GeneralName(GeneralName.dNSName, name));
    }
    for (String h : hosts) {
      String host = h.strip();
      if (host.isEmpty() || node && host.equals(name)) {
        continue;
      }
      boolean ip = IPV4.matcher(host).matches() || host.contains(":");
      sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
    }
    X509Certificate cert = build(name(name), pair.getPublic(), name(CertNames.commonName(certificate)), key,
        certificate, notBefore, notAfter, b -> {
          b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
          b.addExtension(Extension.keyUsage, true, new KeyUsage(keyType == KeyType.RSA
              ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
          b.addExtension(Extension.extendedKeyUsage, false, node
              ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
              : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
          if (!sans.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
          }
        });
    return new Issued(cert, pair.getPrivate());
  }

  /** Writes the CA certificate (0644). */
  public void writeCertificate(Path file, boolean force) {
    writePem(file, certificatePem(certificate), false, force);
  }

  /** Writes the CA key (0600). */
  public void writeKey(Path file, boolean force) {
    writePem(file, keyPem(key, KeyFormat.PKCS8), true, force);
  }

  private interface Extensions {
    void add(X509v3CertificateBuilder b) throws IOException;
  }

  private static X509Certificate build(X500Name subject, java.security.PublicKey publicKey, X500Name issuer,
      PrivateKey issuerKey, X509Certificate issuerCert, Instant notBefore, Instant notAfter, Extensions extensions) {
    try {
      BigInteger serial = new BigInteger(127, RANDOM).add(BigInteger.ONE);
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore),
          Date.from(notAfter), subject, publicKey);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
      if (issuerCert != null) {
        b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerCert));
      }
      extensions.add(b);
      String alg = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      ContentSigner signer = new JcaContentSignerBuilder(alg).build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a certificate for " + subject + ": " + e, e);
    }
  }

  private static X500Name name(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  private static KeyPair generate(KeyType type) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(type.name());
      if (type == KeyType.EC) {
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      } else {
        g.initialize(2048, RANDOM);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + type + " key: " + e, e);
    }
  }

  /** The certificate as a PEM block. */
  public static String certificatePem(X509Certificate cert) {
    return pem(cert);
  }

  /** The key as PEM: PKCS#8, or PKCS#1 ({@code RSA PRIVATE KEY}) / SEC1 ({@code EC PRIVATE KEY}). */
  public static String keyPem(PrivateKey key, KeyFormat format) {
    try {
      if (format == KeyFormat.PKCS8) {
        return pem(new JcaPKCS8Generator(key, null).generate());
      }
      if (key.getAlgorithm().equals("EC")) {
        // SEC1 as openssl writes it: the curve inside the structure (the JDK keeps it only in the
        // PKCS#8 wrapper, and a SEC1 key without it cannot be read back).
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(),
            info.getPrivateKeyAlgorithm().getParameters());
        return pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
      }
      return pem(key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes {@code text} to {@code file}; a private file is created 0600 before anything is written
   * to it (where the file system has POSIX permissions).
   *
   * @throws UncheckedIOException wrapping {@link FileAlreadyExistsException} if it exists and not {@code force}
   */
  public static void writePem(Path file, String text, boolean secret, boolean force) {
    try {
      if (force) {
        Files.deleteIfExists(file);
      }
      String perms = secret ? "rw-------" : "rw-r--r--";
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms)));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      }
      Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
