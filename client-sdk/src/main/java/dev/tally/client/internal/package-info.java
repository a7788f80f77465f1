/**
 * Implementation of the Tally client: endpoint pool and health, the retrying call, write
 * coalescing, watch streams, metrics. Not API: only {@code dev.tally.client} is.
 */
package dev.tally.client.internal;
