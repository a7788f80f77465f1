/**
 * A cluster of node processes on this machine for trying Tally out ({@code tally up}): the layout
 * of names, data centers, ports and directories ({@link dev.tally.node.local.LocalLayout}) and the
 * child processes ({@link dev.tally.node.local.LocalCluster}).
 */
package dev.tally.node.local;
