package io.hatflow.pipelines.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.transforms.prepare.BadCorpusException;
import io.hatflow.transforms.prepare.CorpusFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bad input fails with a message naming the file (and line), and leaves no output and no temp
 * files.
 */
class PrepareBadInputTest {
  @TempDir Path dir;

  Path write(String name, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  BadCorpusException fails(PrepareConfig cfg, PipelineOptions o) throws Exception {
    BadCorpusException e =
        assertThrows(BadCorpusException.class, () -> PreparePipeline.run(cfg, o));
    try (Stream<Path> s = Files.list(dir)) {
      List<String> left =
          s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("out")).toList();
      assertEquals(List.of(), left, "nothing half-written");
    }
    return e;
  }

  PrepareConfig cfg(Path src, Path tgt) {
    return PrepareConfig.defaults(
            CorpusFiles.of(src.toString(), tgt.toString()), dir.resolve("out").toString())
        .withCarveSizes(1, 1)
        .withVocabSize(50);
  }

  @Test
  void badInputOnDirect() throws Exception {
    PipelineOptions direct = PipelineOptionsFactory.create();
    Path en = write("a.en", "a b\nc d\ne f\ng h\n".getBytes());
    Path de = write("a.de", "a b\nc d\ne f\n".getBytes());
    BadCorpusException e = fails(cfg(en, de), direct);
    assertEquals("line counts differ: " + en + " has 4 lines, " + de + " has 3", e.getMessage());

    e = fails(cfg(en, dir.resolve("missing.de")), direct);
    assertEquals("data.train.tgt: file not found: " + dir.resolve("missing.de"), e.getMessage());

    Path empty = write("e.en", new byte[0]);
    Path empty2 = write("e.de", new byte[0]);
    e = fails(cfg(empty, empty2), direct);
    assertTrue(e.getMessage().startsWith("empty corpus: " + empty), e.getMessage());

    Path longLine = write("l.de", ("a b\nc d\n" + "x".repeat(10_001) + "\ng h\n").getBytes());
    e = fails(cfg(en, longLine), direct);
    assertTrue(e.getMessage().startsWith(longLine + " line 3: 10001 characters"), e.getMessage());

    // all pairs dropped (ratio) leaves no training data
    Path one = write("r.en", "a\nb\nc\nd\n".getBytes());
    Path many = write("r.de", "a a a a\nb b b b\nc c c c\nd d d d\n".getBytes());
    e = fails(cfg(one, many), direct);
    assertTrue(e.getMessage().startsWith("no training pairs left"), e.getMessage());
  }

  @Test
  void invalidUtf8OnFlinkNamesFileAndLine() throws Exception {
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(2);
    Path en = write("u.en", "a b\nc d\ne f\n".getBytes());
    Path de = write("u.de", new byte[] {'a', '\n', 'c', (byte) 0xFF, '\n', 'e', '\n'});
    BadCorpusException e = fails(cfg(en, de), o);
    assertEquals(de + " line 2: invalid UTF-8", e.getMessage());
  }
}
