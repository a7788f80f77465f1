package dev.tally.chaos.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.docker.DockerGate.Verdict;
import org.junit.jupiter.api.Test;

class DockerGateTest {

    @Test
    void decide_dockerAvailable_runs() {
        assertThat(DockerGate.decide(true, "1", "").verdict()).isEqualTo(Verdict.RUN);
        assertThat(DockerGate.decide(true, null, "").verdict()).isEqualTo(Verdict.RUN);
    }

    @Test
    void decide_noDockerAndNotRequired_skipsWithAClearMessage() {
        DockerGate.Decision d = DockerGate.decide(false, null, "no socket");

        assertThat(d.verdict()).isEqualTo(Verdict.SKIP);
        assertThat(d.message()).startsWith("Docker is not available (no socket): skipping the Docker-backed chaos tests")
                .contains("TALLY_REQUIRE_DOCKER=1");
        assertThat(DockerGate.decide(false, "0", "x").verdict()).isEqualTo(Verdict.SKIP);
        assertThat(DockerGate.decide(false, "", "x").verdict()).isEqualTo(Verdict.SKIP);
    }

    @Test
    void decide_noDockerButRequired_failsSayingDockerIsRequired() {
        DockerGate.Decision d = DockerGate.decide(false, "1", "no socket");

        assertThat(d.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(d.message()).contains("TALLY_REQUIRE_DOCKER=1").contains("Docker is required")
                .contains("deploy/ci/prepare-docker.sh");
    }
}
