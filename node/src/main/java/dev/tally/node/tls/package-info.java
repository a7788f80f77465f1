/**
 * Transport security of the node: PEM certificates and keys ({@link dev.tally.node.tls.PemFiles}),
 * key and trust managers that reload when their files change ({@link dev.tally.node.tls.TlsReloader}),
 * the TLS contexts of the client, peer and membership ports ({@link dev.tally.node.tls.NodeTls}),
 * the binding of a node's name to its certificate ({@link dev.tally.node.tls.CertNames},
 * {@link dev.tally.node.tls.PeerIdentityInterceptor}), and a throwaway CA for development and tests
 * ({@link dev.tally.node.tls.CertificateAuthority}, used by {@code tally certs} and {@code tally up --tls}).
 */
package dev.tally.node.tls;
