/**
 * Rollback-safe replica ids. A node may write under its replica id only while its data dir is
 * current for that id: a dir restored from an older copy, started twice, copied to another node,
 * or an {@code async} dir that crashed, holds entries behind what peers hold, and every increment
 * written on top would be hidden by {@code max()}. {@link ReplicaClaims} is the peer side of the
 * check, {@link IdentityCheck} the starting side; a start that cannot prove its dir current takes
 * a new replica id before its first write and keeps its data.
 */
package dev.tally.gossip.identity;
