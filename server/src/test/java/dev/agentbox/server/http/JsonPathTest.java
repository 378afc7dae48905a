package dev.agentbox.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The printer columns' JSONPath subset and Kubernetes' human durations (AGE). */
class JsonPathTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode doc() throws Exception {
        return JSON.readTree("""
                {"metadata": {"name": "c1", "annotations": {"agentbox.dev/x": "y"}},
                 "spec": {"replicas": 3},
                 "status": {"conditions": [
                   {"type": "Finished", "status": "False", "reason": "Running"},
                   {"type": "Ready", "status": "True", "reason": "DependenciesReady", "observedGeneration": 2}],
                  "list": [1, 2, 3, 4]}}""");
    }

    private static List<String> find(String path) throws Exception {
        return JsonPath.parse(path).find(doc()).stream().map(JsonNode::asText).toList();
    }

    @Test
    void fieldsIndexesWildcardsAndFilters() throws Exception {
        assertThat(find(".metadata.name")).containsExactly("c1");
        assertThat(find("{.metadata.name}")).containsExactly("c1");
        assertThat(find("$.spec.replicas")).containsExactly("3");
        assertThat(find(".status.conditions[?(@.type==\"Ready\")].status")).containsExactly("True");
        assertThat(find(".status.conditions[?(@.type=='Ready')].reason")).containsExactly("DependenciesReady");
        assertThat(find(".status.conditions[?(@.type != \"Ready\")].type")).containsExactly("Finished");
        assertThat(find(".status.conditions[?(@.observedGeneration >= 2)].type")).containsExactly("Ready");
        assertThat(find(".status.conditions[?(@.observedGeneration)].type")).containsExactly("Ready");
        assertThat(find(".status.conditions[*].type")).containsExactly("Finished", "Ready");
        assertThat(find(".status.conditions[0].type")).containsExactly("Finished");
        assertThat(find(".status.conditions[-1].type")).containsExactly("Ready");
        assertThat(find(".status.list[1:3]")).containsExactly("2", "3");
        assertThat(find(".metadata.annotations['agentbox.dev/x']")).containsExactly("y");
        assertThat(find(".metadata.annotations.agentbox\\.dev/x")).containsExactly("y");
        assertThat(find(".spec.*")).containsExactly("3");
    }

    @Test
    void missingKeysFindNothingAndMalformedPathsAreRefused() throws Exception {
        assertThat(find(".status.sandbox.name")).isEmpty();
        assertThat(find(".status.conditions[?(@.type==\"Gone\")].status")).isEmpty();
        assertThat(find(".status.conditions[7]")).isEmpty();
        assertThat(find(".spec.replicas.x")).isEmpty();
        assertThatThrownBy(() -> JsonPath.parse(".status.conditions[?(@.type==\"Ready\")")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonPath.parse("..name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonPath.parse(".a[?(@.b ~ 1)]")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void agesAreHumanDurationsAsKubectlShowsThem() {
        assertThat(TableWriter.humanDuration(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
        assertThat(TableWriter.humanDuration(Duration.ofMillis(-500))).isEqualTo("0s");
        assertThat(TableWriter.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
        assertThat(TableWriter.humanDuration(Duration.ofSeconds(150))).isEqualTo("2m30s");
        assertThat(TableWriter.humanDuration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(TableWriter.humanDuration(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(TableWriter.humanDuration(Duration.ofMinutes(200))).isEqualTo("3h20m");
        assertThat(TableWriter.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
        assertThat(TableWriter.humanDuration(Duration.ofHours(50))).isEqualTo("2d2h");
        assertThat(TableWriter.humanDuration(Duration.ofDays(30))).isEqualTo("30d");
        assertThat(TableWriter.humanDuration(Duration.ofDays(800))).isEqualTo("2y70d");
        assertThat(TableWriter.humanDuration(Duration.ofDays(365 * 9))).isEqualTo("9y");
        Instant now = Instant.parse("2026-01-01T00:10:00Z");
        assertThat(TableWriter.age("2026-01-01T00:00:00Z", now)).isEqualTo("10m");
        assertThat(TableWriter.age("yesterday", now)).isEqualTo("<invalid>");
    }
}
