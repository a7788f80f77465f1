package dev.tally.node.metrics;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects: {@code histogram_quantile(0.99, sum by (le)
 * (rate(x_bucket{a="b"}[5m])))} selects {@code x_bucket}. Strings, label matchers, range and
 * subquery brackets and grouping label lists ({@code by (...)}, {@code on (...)}, ...) are removed;
 * of the identifiers left, those called as functions and PromQL's keywords are dropped. Grafana's
 * {@code label_values(metric, label)} variable queries name their metric too.
 */
final class PromQlMetricNames {
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");

    private PromQlMetricNames() {}

    static Set<String> of(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher lv = LABEL_VALUES.matcher(expr);
        if (lv.find()) {
            names.add(lv.group(1));
            return names;
        }
        String s = STRING.matcher(expr).replaceAll("\"\"");
        s = s.replaceAll("\\{[^}]*}", " ");   // label matchers (their strings are gone already)
        s = s.replaceAll("\\[[^]]*]", " ");   // ranges and subqueries: [5m], [$__rate_interval], [1h:1m]
        s = GROUPING.matcher(s).replaceAll(" ");
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group();
            if (m.start() > 0 && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.'
                    || s.charAt(m.start() - 1) == '$')) {
                continue; // the exponent or unit of a number (1e3), or a Grafana variable
            }
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            boolean call = next < s.length() && s.charAt(next) == '(';
            if (!call && !KEYWORDS.contains(id.toLowerCase(java.util.Locale.ROOT))) {
                names.add(id);
            }
        }
        return names;
    }
}
