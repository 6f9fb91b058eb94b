package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Exit codes and messages: bad input is exit 2 in one line, an expected condition exit 1 in one
 * line, a bug exit 1 with its stack trace; the one line is always last, and {@code --debug} adds
 * the trace to the first two.
 */
class ExitCodesTest {
  @TempDir Path tmp;

  static final String TRACE = "\tat ";

  /** A prepare spec on the bundled multi30k sample, with {@code src} as the source side. */
  Path spec(String name, Path src) throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Path f = tmp.resolve(name + ".yaml");
    Files.writeString(
        f,
        String.join(
            "\n",
            "version: 1",
            "name: " + name,
            "data:",
            "  train: {src: " + src + ", tgt: " + t.resolve("valid.de") + "}",
            "  valid_size: 20",
            "  test_size: 20",
            "  vocab: {size: 300}",
            "  shards: 1",
            ""));
    return f;
  }

  HatflowCliTest.Out prepare(Path spec, String... more) {
    String[] args = {
      "prepare", "--spec", spec.toString(), "--run-dir", tmp.resolve("run").toString()
    };
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return HatflowCliTest.run(all);
  }

  @Test
  void aTruncatedGzCorpusIsBadInputNamingTheFile() throws Exception {
    byte[] text = Files.readAllBytes(HatflowCliTest.testdata().resolve("multi30k/valid.en"));
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(text);
    }
    Path cut = tmp.resolve("valid.en.gz");
    Files.write(cut, Arrays.copyOf(gz.toByteArray(), gz.size() / 2));

    HatflowCliTest.Out r = prepare(spec("gz", cut));
    assertEquals(2, r.code(), r.err());
    String last = IntegrityTest.lastLine(r.err());
    assertTrue(
        last.startsWith("hatflow: error: " + cut + ": truncated or corrupt gzip file"), r.err());
    assertFalse(r.err().contains(TRACE), "bad input has no stack trace: " + r.err());
    assertFalse(Files.exists(tmp.resolve("run/prepare")), "nothing prepared");
  }

  @Test
  void aDirectoryGivenAsACorpusFileIsBadInput() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("corpus.en"));
    HatflowCliTest.Out r = prepare(spec("dir", dir));
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "hatflow: error: data.train.src: " + dir + " is a directory, expected a file",
        IntegrityTest.lastLine(r.err()));
    assertFalse(r.err().contains(TRACE), r.err());
  }

  @Test
  void aLockedRunDirIsOneLineNamingTheHolderAndDebugAddsTheTrace() throws Exception {
    Path rd = Files.createDirectories(tmp.resolve("run"));
    String holder = "pid 4242 on host elsewhere since 2026-01-01T00:00:00Z";
    Path s = spec("locked", HatflowCliTest.testdata().resolve("multi30k/valid.en"));
    try (FileChannel ch =
            FileChannel.open(
                rd.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      ch.write(java.nio.ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)));
      HatflowCliTest.Out r = prepare(s);
      assertEquals(1, r.code(), r.err());
      assertEquals(
          "hatflow: failed: "
              + rd
              + ": in use by another run ("
              + holder
              + "); wait for it to finish or use another --run-dir",
          IntegrityTest.lastLine(r.err()));
      assertFalse(r.err().contains(TRACE), "an expected condition has no stack trace: " + r.err());

      HatflowCliTest.Out debug = prepare(s, "--debug");
      assertEquals(1, debug.code(), debug.err());
      assertTrue(
          debug.err().contains("RunDir$LockedException") && debug.err().contains(TRACE),
          debug.err());
      assertEquals(
          IntegrityTest.lastLine(r.err()),
          IntegrityTest.lastLine(debug.err()),
          "the one line stays last");
    }
    assertFalse(Files.exists(rd.resolve("prepare")));
  }

  @Test
  void badInputWithDebugShowsTheTraceAndKeepsExitTwo() throws Exception {
    Path s = spec("v2", HatflowCliTest.testdata().resolve("multi30k/valid.en"));
    Files.writeString(s, Files.readString(s).replace("version: 1", "version: 2"));
    HatflowCliTest.Out plain = prepare(s);
    assertEquals(2, plain.code(), plain.err());
    assertEquals(
        "hatflow: error: v2.yaml:1: version: this hatflow reads spec version 1; got 2",
        IntegrityTest.lastLine(plain.err()));
    assertFalse(plain.err().contains(TRACE), plain.err());

    HatflowCliTest.Out debug = HatflowCliTest.run("--debug", "prepare", "--spec", s.toString());
    assertEquals(2, debug.code(), debug.err());
    assertTrue(debug.err().contains("SpecException") && debug.err().contains(TRACE), debug.err());
    assertEquals(IntegrityTest.lastLine(plain.err()), IntegrityTest.lastLine(debug.err()));
  }

  @Command(name = "boom")
  static final class Boom implements Callable<Integer> {
    String missing;

    @Override
    public Integer call() {
      return missing.length(); // a bug: a NullPointerException
    }
  }

  @Command(name = "plain-iae")
  static final class PlainIae implements Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalArgumentException(
          "threads must be >= 1"); // a broken contract, not the user's input
    }
  }

  static HatflowCliTest.Out withBugs(String... argv) {
    CommandLine cl = Hatflow.commandLine().addSubcommand(new Boom()).addSubcommand(new PlainIae());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(argv);
    return new HatflowCliTest.Out(code, "", err.toString());
  }

  @Test
  void aBugPrintsItsTraceThenOneLine() {
    HatflowCliTest.Out r = withBugs("boom");
    assertEquals(1, r.code(), r.err());
    assertTrue(
        r.err().startsWith("java.lang.NullPointerException")
            && r.err().contains(TRACE + "io.hatflow"),
        r.err());
    String last = IntegrityTest.lastLine(r.err());
    assertTrue(
        last.startsWith("hatflow: failed: NullPointerException: ") && last.contains("missing"),
        last);

    // A plain IllegalArgumentException is no longer taken for bad input: it is a bug, shown as one.
    HatflowCliTest.Out iae = withBugs("plain-iae");
    assertEquals(1, iae.code(), iae.err());
    assertTrue(iae.err().contains(TRACE), iae.err());
    assertEquals(
        "hatflow: failed: IllegalArgumentException: threads must be >= 1",
        IntegrityTest.lastLine(iae.err()));
  }
}
