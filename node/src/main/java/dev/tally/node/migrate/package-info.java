/**
 * Moving counts into and out of Tally: the JSON Lines format of {@code tally export} and {@code
 * tally import jsonl} ({@link dev.tally.node.migrate.JsonLinesWriter}, {@link
 * dev.tally.node.migrate.JsonLinesReader}), the Redis source of {@code tally import redis} ({@link
 * dev.tally.node.migrate.RedisSource}), and the {@link dev.tally.node.migrate.Importer} that sets
 * each counter to its source value idempotently. docs/migration.md explains the reasoning.
 */
package dev.tally.node.migrate;
