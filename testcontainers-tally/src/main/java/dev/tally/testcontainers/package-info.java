/**
 * Testcontainers for Tally: {@link dev.tally.testcontainers.TallyContainer} (one node), {@link
 * dev.tally.testcontainers.TallyCluster} (N nodes on one network) and {@link
 * dev.tally.testcontainers.TallyCertificates} (a throwaway CA made by the image itself).
 */
package dev.tally.testcontainers;
