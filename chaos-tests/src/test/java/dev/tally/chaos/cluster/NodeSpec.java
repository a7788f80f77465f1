package dev.tally.chaos.cluster;

import java.util.regex.Pattern;

/**
 * One node of a test cluster.
 *
 * @param name node name: its network alias, hostname and TALLY_NAME
 * @param dc   data center label (TALLY_DC)
 */
public record NodeSpec(String name, String dc) {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z][a-z0-9-]{0,30}");

    public NodeSpec {
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("node name must be a DNS label of 1..31 chars [a-z0-9-], was " + name);
        }
        if (dc == null || !DNS_LABEL.matcher(dc).matches()) {
            throw new IllegalArgumentException("dc must be a DNS label of 1..31 chars [a-z0-9-], was " + dc);
        }
    }
}
