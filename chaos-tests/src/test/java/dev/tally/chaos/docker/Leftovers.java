package dev.tally.chaos.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import java.util.List;
import java.util.Map;

/** Removes what dead chaos runs left behind (containers, their volumes, networks), never a live run's. */
public final class Leftovers {

    private Leftovers() {}

    /** Removes every labelled resource whose owning JVM is gone; returns how many were removed. */
    public static int reapDead(DockerClient docker) {
        int removed = 0;
        List<Container> containers = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Labels.CHAOS, "true")).exec();
        for (Container c : containers) {
            if (!Labels.ownerAlive(c.getLabels())) {
                try {
                    docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                    removed++;
                } catch (RuntimeException e) {
                    System.err.println("could not remove leftover container " + c.getId() + ": " + e);
                }
            }
        }
        var volumes = docker.listVolumesCmd().withFilter("label", List.of(Labels.CHAOS + "=true")).exec().getVolumes();
        if (volumes != null) {
            for (var v : volumes) {
                if (!Labels.ownerAlive(v.getLabels() == null ? Map.of() : v.getLabels())) {
                    try {
                        docker.removeVolumeCmd(v.getName()).exec();
                        removed++;
                    } catch (RuntimeException e) {
                        System.err.println("could not remove leftover volume " + v.getName() + ": " + e);
                    }
                }
            }
        }
        for (Network n : docker.listNetworksCmd().withFilter("label", List.of(Labels.CHAOS + "=true")).exec()) {
            if (!Labels.ownerAlive(n.getLabels() == null ? Map.of() : n.getLabels())) {
                try {
                    docker.removeNetworkCmd(n.getId()).exec();
                    removed++;
                } catch (RuntimeException e) {
                    System.err.println("could not remove leftover network " + n.getName() + ": " + e);
                }
            }
        }
        return removed;
    }
}
