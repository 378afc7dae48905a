package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Hostile manifests: each is refused with a 422 naming the limit, and parsing stays linear in the input.
 * Timing bounds are generous (a loaded 2-core machine); the figures are printed to the test output.
 */
class ResourcesLimitsTest {
    static final String HEAD = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: big
            """;
    static final String SPEC = """
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: c
                    image: agentbox/builtin
            """;

    static long timed(String label, Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println(label + ": " + ms + " ms");
        return ms;
    }

    /** The classic "billion laughs": nine levels of aliases, each naming the previous one nine times. */
    static String billionLaughs() {
        StringBuilder b = new StringBuilder(HEAD).append("  annotations:\n    a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        for (int i = 1; i < 10; i++) {
            b.append("    a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) b.append(j == 0 ? "" : ",").append("*a").append(i - 1);
            b.append("]\n");
        }
        return b.append(SPEC).toString();
    }

    @Test
    void yamlBillionLaughsIsRefused() {
        assertThatThrownBy(() -> Resources.parseAll(billionLaughs()))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("alias")
                .hasMessageContaining("*a0");
    }

    @Test
    void yamlAliasIsRefusedRatherThanReadAsItsName() {
        // Jackson does not expand aliases: without the check, `image: *img` became the string "img"
        String aliased = HEAD.replace("name: big", "name: &img big") + SPEC.replace("image: agentbox/builtin", "image: *img");
        assertThatThrownBy(() -> Resources.parseAll(aliased)).isInstanceOf(InvalidException.class).hasMessageContaining("alias *img");
    }

    @Test
    void deeplyNestedYamlIsRefused() {
        String nested = HEAD + "  annotations:\n    a: " + "[".repeat(Resources.MAX_NESTING_DEPTH + 10) + "]".repeat(Resources.MAX_NESTING_DEPTH + 10) + "\n" + SPEC;
        assertThatThrownBy(() -> Resources.parseAll(nested)).isInstanceOf(InvalidException.class)
                .hasMessageContaining("nesting depth").hasMessageContaining(String.valueOf(Resources.MAX_NESTING_DEPTH));
        String deepBlocks = HEAD + "  labels:\n" + nestedBlockMapping(Resources.MAX_NESTING_DEPTH + 10) + SPEC;
        assertThatThrownBy(() -> Resources.parseAll(deepBlocks)).isInstanceOf(InvalidException.class).hasMessageContaining("nesting depth");
    }

    static String nestedBlockMapping(int depth) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < depth; i++) b.append("  ".repeat(i + 2)).append("k:\n");
        return b.append("  ".repeat(depth + 2)).append("v\n").toString();
    }

    @Test
    void deeplyNestedJsonIsRefused() {
        int depth = Resources.MAX_NESTING_DEPTH + 10;
        String json = "{\"apiVersion\":\"extensions.agents.x-k8s.io/v1beta1\",\"kind\":\"SandboxTemplate\",\"metadata\":{\"name\":\"x\",\"annotations\":"
                + "[".repeat(depth) + "]".repeat(depth) + "}}";
        assertThatThrownBy(() -> Resources.parseAll(json)).isInstanceOf(InvalidException.class)
                .hasMessageContaining("nesting depth").hasMessageContaining(String.valueOf(Resources.MAX_NESTING_DEPTH));
        assertThatThrownBy(() -> Resources.readJson(json.getBytes())).isInstanceOf(InvalidException.class).hasMessageContaining("nesting depth");
    }

    @Test
    void hugeJsonNumberIsRefused() {
        String json = "{\"spec\":{\"replicas\":" + "9".repeat(Resources.MAX_NUMBER_LENGTH + 1) + "}}";
        assertThatThrownBy(() -> Resources.readJson(json.getBytes())).isInstanceOf(InvalidException.class)
                .hasMessageContaining("Number value length").hasMessageContaining("maximum allowed (" + Resources.MAX_NUMBER_LENGTH + ")");
    }

    @Test
    void yamlLineOverTheLimitIsRefusedQuickly() {
        // one 3 MiB line: SnakeYAML re-copies its look-ahead for every 1 KiB it reads, so this took ~5 s before
        String longLine = HEAD + "  annotations:\n    a: " + "x".repeat(3 * 1024 * 1024 - 200) + "\n" + SPEC;
        long ms = timed("3 MiB line refused", () -> assertThatThrownBy(() -> Resources.parseAll(longLine))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("line 6 is longer than " + Resources.MAX_YAML_LINE_LENGTH));
        assertThat(ms).isLessThan(2_000);
    }

    @Test
    void yamlOfLongLinesParsesInLinearTime() {
        // lines just under the limit, ~2 MiB in all: bounded by (size x line limit / 1 KiB) char copies
        StringBuilder b = new StringBuilder(HEAD).append("  labels:\n");
        String value = "x".repeat(Resources.MAX_YAML_LINE_LENGTH - 40);
        for (int i = 0; b.length() < 2 * 1024 * 1024; i++) b.append("    k").append(i).append(": ").append(value).append('\n');
        String text = b.append(SPEC).toString();
        long ms = timed("2 MiB of 64 KiB lines parsed", () -> assertThat(Resources.readTrees(text)).hasSize(1));
        assertThat(ms).isLessThan(5_000);
    }

    @Test
    void manyUnknownFieldsGiveAShortErrorQuickly() {
        StringBuilder b = new StringBuilder(HEAD).append(SPEC);
        for (int i = 0; b.length() < 2 * 1024 * 1024; i++) b.append("        imagee").append(i).append(": x\n");
        String text = b.toString();
        long ms = timed("2 MiB of unknown fields refused", () -> assertThatThrownBy(() -> Resources.parseAll(text))
                .isInstanceOfSatisfying(InvalidException.class, e -> {
                    assertThat(e.errors()).hasSizeLessThanOrEqualTo(Resources.MAX_FIELD_ERRORS + 1);
                    assertThat(e.getMessage()).hasSizeLessThan(64 * 1024).contains("imagee0: unknown field").contains("more errors not shown");
                }));
        assertThat(ms).isLessThan(5_000);
    }

    @Test
    void tooManyDocumentsAreRefused() {
        String doc = "---\n" + HEAD + SPEC;
        String many = doc.repeat(Resources.MAX_DOCUMENTS + 1);
        assertThatThrownBy(() -> Resources.parseAll(many)).isInstanceOf(InvalidException.class)
                .hasMessageContaining("more than " + Resources.MAX_DOCUMENTS + " documents");
        assertThat(Resources.parseAll(doc.repeat(3))).hasSize(3);
    }

    @Test
    void readJsonNamesWhatIsWrong() {
        assertThat(Resources.readJson("{\"a\":1}".getBytes()).path("a").asInt()).isEqualTo(1);
        assertThatThrownBy(() -> Resources.readJson("{\"a\":".getBytes())).isInstanceOf(InvalidException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> Resources.readJson("{\"a\":1}{\"b\":2}".getBytes())).isInstanceOf(InvalidException.class);
        assertThatThrownBy(() -> Resources.readJson("{\"a\":1,\"a\":2}".getBytes())).isInstanceOf(InvalidException.class).hasMessageContaining("Duplicate");
    }
}
