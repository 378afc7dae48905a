package dev.agentbox.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a log as the shim writes and rotates it (the files are written here as the shim does: append, rename, new file). */
class LogFilesTest {
    @TempDir
    Path dir;

    Path log() {
        return dir.resolve("ab-1.log");
    }

    void write(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The shim's rotation: rename the current file over the old one; the next write creates a new file. */
    void rotate() throws IOException {
        Files.move(log(), LogFiles.rotated(log()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    String tail(Long lines) throws IOException {
        try (LogFiles.Snapshot s = LogFiles.open(log())) {
            long start = lines == null ? 0 : s.tailStart(lines);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.copy(start, s.size() - start, out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void tailCountsLinesAsTailDoes() throws IOException {
        assertThat(tail(null)).isEmpty();
        assertThat(tail(3L)).isEmpty();
        write(log(), "a\nb\nc\n");
        assertThat(tail(2L)).isEqualTo("b\nc\n");
        assertThat(tail(0L)).isEmpty();
        assertThat(tail(3L)).isEqualTo("a\nb\nc\n");
        assertThat(tail(99L)).isEqualTo("a\nb\nc\n");
        write(log(), "partial");
        assertThat(tail(1L)).isEqualTo("partial");
        assertThat(tail(2L)).isEqualTo("c\npartial");
        write(log(), "\n\n");
        assertThat(tail(1L)).isEqualTo("\n");
        assertThat(tail(2L)).isEqualTo("partial\n\n");
    }

    @Test
    void tailSpansTheRotatedFileIncludingALineSplitBetweenTheTwo() throws IOException {
        write(log(), "l1\nl2\nl3\npa");
        rotate();
        write(log(), "rt\nl4\n");
        assertThat(tail(2L)).isEqualTo("part\nl4\n");
        assertThat(tail(3L)).isEqualTo("l3\npart\nl4\n");
        assertThat(tail(null)).isEqualTo("l1\nl2\nl3\npart\nl4\n");
        // between the rename and the next write there is only the rotated file
        rotate();
        assertThat(tail(1L)).isEqualTo("l4\n");
    }

    @Test
    void tailFindsLinesAcrossReadChunks() throws IOException {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 30_000; i++) all.append("line-").append(i).append('\n'); // ~300 KB: several chunks
        write(log(), all.substring(0, 150_003));
        rotate();
        write(log(), all.substring(150_003));
        String got = tail(20_000L);
        assertThat(got.lines().count()).isEqualTo(20_000);
        assertThat(got).startsWith("line-10000\n").endsWith("line-29999\n");
    }

    @Test
    void aFollowerReadsAppendsAndFollowsRotationsWithoutLosingWhatCameBeforeTheRename() throws IOException {
        write(log(), "before\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LogFiles.Snapshot s = LogFiles.open(log()); LogFiles.Follower f = s.follow()) {
            assertThat(f.poll(out, Long.MAX_VALUE)).isZero();
            write(log(), "one\n");
            assertThat(f.poll(out, Long.MAX_VALUE)).isEqualTo(4);
            write(log(), "two\n"); // written, then rotated before the follower looked
            rotate();
            assertThat(f.poll(out, Long.MAX_VALUE)).isEqualTo(4); // the rest of the old file; no new one yet
            write(log(), "three\n");
            write(log(), "four\n");
            assertThat(f.poll(out, Long.MAX_VALUE)).isEqualTo(11);
            write(log(), "five\n");
            assertThat(f.poll(out, 3)).isEqualTo(3); // at most what was asked for
            assertThat(f.poll(out, Long.MAX_VALUE)).isEqualTo(2);
            // replaced outright (a restart deletes the log and the shim starts a new one)
            Files.delete(log());
            Files.delete(LogFiles.rotated(log()));
            assertThat(f.poll(out, Long.MAX_VALUE)).isZero();
            write(log(), "six\n");
            assertThat(f.poll(out, Long.MAX_VALUE)).isEqualTo(4);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\nfour\nfive\nsix\n");
    }

    @Test
    void aFollowerOfALogThatDoesNotExistYetStartsAtItsBeginning() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LogFiles.Snapshot s = LogFiles.open(log()); LogFiles.Follower f = s.follow()) {
            assertThat(s.size()).isZero();
            assertThat(f.poll(out, Long.MAX_VALUE)).isZero();
            write(log(), "hello\n");
            f.poll(out, Long.MAX_VALUE);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
    }
}
