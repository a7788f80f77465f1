package dev.tally.gossip.failover;

/** What exactly-once across failover reports; the node backs it with Micrometer. Any thread. */
public interface FailoverMetrics {
  FailoverMetrics NONE = new FailoverMetrics() {
    @Override
    public void resolved(Outcome outcome) {}

    @Override
    public void compensated() {}
  };

  /** How a resolution ended: the label of {@code tally_failover_resolutions_total}. */
  enum Outcome {
    /** A prior node had applied it: answered with its result, nothing applied here. */
    APPLIED_ELSEWHERE("applied_elsewhere"),
    /** Every prior node fenced it: applied here. */
    FENCED("fenced"),
    /** A prior node could not be asked: applied here, resolved in the background. */
    PENDING("pending"),
    /** A prior node could not be asked and the call chose to wait: refused, nothing applied. */
    REFUSED("refused"),
    /** A prior node recorded the id for another request: INVALID_ARGUMENT. */
    MISMATCH("mismatch"),
    /** In the background: every waited-for node answered, and this node's application stands. */
    PENDING_KEPT("pending_kept"),
    /** In the background: another node's application counts, so this node undid its own. */
    PENDING_COMPENSATED("pending_compensated"),
    /** In the background: a waited-for node left the cluster or the record got too old: given up. */
    PENDING_UNRESOLVABLE("pending_unresolvable");

    private final String label;

    Outcome(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  void resolved(Outcome outcome);

  /** This node undid its own application of a request (once per request). */
  void compensated();

  /**
   * The background resolver gave up on {@code requestId} ({@link Outcome#PENDING_UNRESOLVABLE}):
   * its application here stands and may be one too many. For logs and the simulator's checker.
   */
  default void gaveUp(String requestId) {}
}
