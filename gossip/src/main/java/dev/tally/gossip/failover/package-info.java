/**
 * Exactly once across failover: a retried write is counted once, whichever node it lands on.
 *
 * <p>A retry names the nodes an earlier attempt may have reached ({@code prior_nodes}). The node
 * that receives it ({@link FailoverCoordinator}) first asks each of them ({@link ResolveSender},
 * the peer RPC {@code ResolveRequest}); the asked node ({@link ResolveResponder}) answers, in one
 * step on its write pipeline, with its record of the request id, or writes a durable fence so
 * that the original attempt, still queued there or arriving late, is refused. Applied elsewhere:
 * answer with that result, apply nothing. Fenced everywhere: apply. A node that cannot be asked in
 * time: apply and keep the record waiting for it ({@code unresolved}); the {@link
 * BackgroundResolver} asks again until it answers, and if that node's application counts, undoes
 * this node's own ({@link dev.tally.gossip.write.WriteRole.Settle}), atomically with the record,
 * so the undo happens once.
 *
 * <p>When two nodes both applied a request and each still waits for the other, exactly one undoes
 * its application: a node yields to another that counts unless that other still waits for it
 * too, and then the node with the greater name yields. Each yield is to a node that counts at the
 * time and never yields back, so at least (and, once all are resolved, exactly) one application
 * counts. That needs every attempt of a request to name all the earlier ones, which the SDK does;
 * docs/api.md states it for other clients.
 */
package dev.tally.gossip.failover;
