package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code fork SANDBOX -n N} means a count; everywhere else {@code -n} stays the namespace. */
class ForkCountTest {

    @Test
    void dashNAfterForkIsTheCount() {
        assertThat(Main.forkCount(new String[] {"fork", "box", "-n", "3"})).containsExactly("fork", "box", "--count", "3");
        assertThat(Main.forkCount(new String[] {"--server", "http://x", "-n", "team", "fork", "box", "-n3"}))
                .containsExactly("--server", "http://x", "-n", "team", "fork", "box", "--count=3");
    }

    @Test
    void dashNElsewhereIsLeftAlone() {
        String[] exec = {"exec", "box", "--", "echo", "fork", "-n", "3"};
        assertThat(Main.forkCount(exec)).containsExactly(exec);
        String[] get = {"get", "sandboxes", "-n", "fork"};
        assertThat(Main.forkCount(get)).containsExactly(get);
        String[] namedFork = {"exec", "fork", "-n", "x", "--", "true"};
        assertThat(Main.forkCount(namedFork)).containsExactly(namedFork);
    }
}
